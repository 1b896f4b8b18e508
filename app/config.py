"""Settings, read from the environment in this one place."""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet

ONE_MIB = 1024 * 1024


def _database_url(raw: str | None, instance_path: Path) -> str:
    """SQLAlchemy URL; plain postgresql:// URLs get the psycopg 3 driver we ship."""
    if not raw:
        return f"sqlite:///{instance_path / 'postventa.db'}"
    for prefix in ("postgres://", "postgresql://"):
        if raw.startswith(prefix):
            return "postgresql+psycopg://" + raw[len(prefix) :]
    return raw


def _local_secrets(instance_path: Path) -> dict[str, str]:
    """Development secrets generated once and kept under instance/, so restarts agree."""
    path = instance_path / "secrets.json"
    data: dict[str, str] = {}
    if path.exists():
        data = json.loads(path.read_text())
    wanted = {
        "SECRET_KEY": lambda: secrets.token_urlsafe(32),
        "ENCRYPTION_KEY": lambda: Fernet.generate_key().decode(),
        "SHOPIFY_API_SECRET": lambda: secrets.token_hex(16),
    }
    changed = False
    for key, make in wanted.items():
        if key not in data:
            data[key] = make()
            changed = True
    if changed:
        instance_path.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(data, indent=2))
        tmp.chmod(0o600)
        tmp.replace(path)
    return data


class Config:
    """Production and development settings; every value comes from the environment."""

    TESTING = False

    def __init__(self, instance_path: Path, env: Mapping[str, str] | None = None) -> None:
        env = os.environ if env is None else env
        self.instance_path = instance_path
        local: dict[str, str] = {}
        needs_local = [k for k in ("SECRET_KEY", "ENCRYPTION_KEY", "SHOPIFY_API_SECRET") if not env.get(k)]
        if needs_local:
            local = _local_secrets(instance_path)

        def pick(key: str) -> str:
            return env.get(key) or local[key]

        self.values: dict[str, Any] = {
            "TESTING": self.TESTING,
            "SQLALCHEMY_DATABASE_URI": _database_url(env.get("DATABASE_URL"), instance_path),
            "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
            "REDIS_URL": env.get("REDIS_URL") or None,
            # Lookup attempts are counted in Redis when there is one; `make run` is one process, memory will do.
            "RATELIMIT_STORAGE_URI": env.get("REDIS_URL") or "memory://",
            # Behind a reverse proxy, how many X-Forwarded-For hops to trust for the shopper's address.
            "TRUSTED_PROXY_HOPS": int(env.get("POSTVENTA_TRUSTED_PROXY_HOPS") or 0),
            "EMBEDDED_REDIS_PATH": str(instance_path / "redis" / "postventa.rdb"),
            "MAIL_URL": env.get("MAIL_URL") or None,
            "MAIL_FROM": env.get("MAIL_FROM") or "Postventa <no-reply@postventa.local>",
            "SECRET_KEY": pick("SECRET_KEY"),
            "ENCRYPTION_KEY": pick("ENCRYPTION_KEY"),
            "SHOPIFY_API_KEY": env.get("SHOPIFY_API_KEY") or "",
            "SHOPIFY_API_SECRET": pick("SHOPIFY_API_SECRET"),
            "APP_URL": (env.get("APP_URL") or "http://127.0.0.1:5000").rstrip("/"),
            # Where Shopify's OAuth endpoints live; None means https://<shop>. Tests point it at a local fake.
            "SHOPIFY_BASE_URL": None,
            # WooCommerce stores on http:// or private addresses (a local WordPress); never in production.
            "WOOCOMMERCE_ALLOW_INSECURE": env.get("WOOCOMMERCE_ALLOW_INSECURE") == "1",
            # Shows the local outbox at /admin/outbox; `make run` turns it on.
            "DEV_ADMIN": env.get("POSTVENTA_DEV_ADMIN") == "1",
            "MAX_CONTENT_LENGTH": ONE_MIB,
            # CSRF tokens are checked by the forms that need them, not on every POST (webhooks, JSON API).
            "WTF_CSRF_CHECK_DEFAULT": False,
            "WTF_CSRF_TIME_LIMIT": 4 * 3600,
            # Return labels: the built-in PDF, or carrier labels bought through a provider when its key is set.
            "LABEL_PROVIDER": (env.get("LABEL_PROVIDER") or "builtin").strip().lower(),
            "LABEL_PROVIDER_KEYS": {name: env[f"{name.upper()}_API_KEY"] for name in ("easypost", "shippo")
                                    if env.get(f"{name.upper()}_API_KEY")},
            "LABEL_PROVIDER_BASE_URL": None,  # tests point it at a local fake
            "BABEL_DEFAULT_LOCALE": "en",
            "BABEL_TRANSLATION_DIRECTORIES": str(Path(__file__).parent / "translations"),
            "QUEUE_NAME": env.get("POSTVENTA_QUEUE") or "postventa",
            "MAIL_BATCH_SIZE": 50,
            "EVENT_BATCH_SIZE": 100,
            # A claim not finished in this many seconds is taken up again.
            "CLAIM_LEASE_SECONDS": 600,
            "MESSAGE_MAX_ATTEMPTS": 8,
            "RECONCILE_INTERVAL_SECONDS": int(env.get("POSTVENTA_RECONCILE_INTERVAL") or 900),
            # Tracking providers: the first with an API key is used; its webhook secret checks what it pushes.
            "TRACKING_PROVIDER_KEYS": {name: env[f"{name.upper()}_API_KEY"] for name in ("aftership", "easypost")
                                       if env.get(f"{name.upper()}_API_KEY")},
            "TRACKING_WEBHOOK_SECRETS": {name: env[f"{name.upper()}_WEBHOOK_SECRET"]
                                         for name in ("aftership", "easypost")
                                         if env.get(f"{name.upper()}_WEBHOOK_SECRET")},
            "TRACKING_PROVIDER": next((name for name in ("aftership", "easypost")
                                       if env.get(f"{name.upper()}_API_KEY")), None),
            "TRACKING_PROVIDER_BASE_URL": None,  # tests point it at a local fake
            # Delivery windows before the store has its own history, and when a quiet shipment counts as stuck.
            "DEFAULT_TRANSIT_DAYS": (2, 7),
            "STUCK_AFTER_DAYS": int(env.get("POSTVENTA_STUCK_AFTER_DAYS") or 5),
            "LATE_GRACE_HOURS": 24,
            "EXPIRE_AFTER_DAYS": 30,
            "SWEEP_INTERVAL_SECONDS": int(env.get("POSTVENTA_SWEEP_INTERVAL") or 600),
            "DISPATCH_INTERVAL": float(env.get("POSTVENTA_DISPATCH_INTERVAL") or 0.5),
        }


class TestConfig(Config):
    """Embedded defaults unless DATABASE_URL / REDIS_URL point at real servers."""

    TESTING = True

    def __init__(self, instance_path: Path, env: Mapping[str, str] | None = None) -> None:
        super().__init__(instance_path, env)
        # The periodic sweep would judge recorded payloads (dated when recorded) by today's clock: tests call it.
        self.values.update({"DEV_ADMIN": True, "CLAIM_LEASE_SECONDS": 600, "SWEEP_INTERVAL_SECONDS": 0})
