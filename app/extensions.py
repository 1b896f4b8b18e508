"""Unbound extensions; create_app() binds them to an app."""

from __future__ import annotations

from typing import Any

from flask import g, request
from flask_babel import Babel
from flask_limiter import Limiter
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
babel = Babel()
csrf = CSRFProtect()  # checked explicitly by the shopper forms (webhooks and the API are not forms)


def client_address() -> str:
    """Who is asking: the shopper behind Shopify's App Proxy (a signed request), else the peer address."""
    if getattr(g, "proxy_shop_id", None) is not None:
        forwarded = request.headers.get("X-Forwarded-For", "").split(",")[0].strip()
        if forwarded:
            return forwarded
    return request.remote_addr or "unknown"


# Storage from RATELIMIT_STORAGE_URI: Redis in production (shared by every worker), memory in one process.
limiter = Limiter(key_func=client_address, default_limits=[], headers_enabled=True)


def sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    """WAL + a busy timeout so the web process and the worker share one file safely."""
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()
