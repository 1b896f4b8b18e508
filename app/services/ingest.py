"""Webhook events: stored before they are acknowledged, processed later in batches."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import Enum
from typing import Any, TypeVar, cast

import psycopg
from flask import Flask, current_app
from sqlalchemy import Engine, bindparam, create_engine, event, select, text, update
from sqlalchemy.exc import DBAPIError

from app.extensions import db, sqlite_pragmas
from app.models import Shop, UTCDateTime, WebhookEvent
from app.services import privacy
from app.services.group_commit import GroupCommitter, Incoming
from app.services.orders import OrderNotYetKnown, apply_change
from connectors.base import (
    AppUninstalled,
    Change,
    CustomerDataRequest,
    CustomerRedact,
    NormalizeError,
    OrderChange,
    OrderDeleted,
    RefundChange,
    ReturnChange,
    ShipmentChange,
    ShopRedact,
    TrackingEventChange,
    get_connector,
)

log = logging.getLogger(__name__)
T = TypeVar("T")

# One statement on the hot path: the shop lookup, the insert and the dedupe together.
_INSERT_EVENT = text(
    """
    INSERT INTO webhook_events (shop_id, event_id, topic, payload, status, attempts, received_at)
    SELECT shops.id, :event_id, :topic, :payload, 'pending', 0, :now FROM shops
    WHERE shops.platform = :platform AND shops.domain = :domain
    ON CONFLICT (shop_id, event_id) DO NOTHING
    """
).bindparams(bindparam("now", type_=UTCDateTime()))

_SHOP_EXISTS = text("SELECT 1 FROM shops WHERE platform = :platform AND domain = :domain")

# A fulfillment that arrives before its order is retried this many times, then kept as failed.
MAX_EVENT_ATTEMPTS = 20
RETRY_AFTER = timedelta(seconds=30)


class Stored(Enum):
    NEW = "stored"
    DUPLICATE = "duplicate"
    UNKNOWN_SHOP = "unknown shop"


@dataclass(frozen=True)
class BatchResult:
    processed: int = 0
    failed: int = 0
    deferred: int = 0


_INIT_LOCK = threading.RLock()  # re-entrant: the group committer is made with the engine made first


def _per_app(app: Flask, key: str, make: Callable[[], T]) -> T:
    """One instance per app and process, made once even when many request threads ask at the same time."""
    value = app.extensions.get(key)
    if value is None:
        with _INIT_LOCK:
            value = app.extensions.get(key)
            if value is None:
                value = app.extensions[key] = make()
    return cast(T, value)


def _ingest_engine(app: Flask) -> Engine:
    """Autocommit and no pre-ping: one round trip per webhook; the INSERT is its own durable commit."""

    def make() -> Engine:
        with app.app_context():
            url = db.engine.url
        engine = create_engine(url, isolation_level="AUTOCOMMIT", pool_pre_ping=False)
        if engine.dialect.name == "sqlite":
            event.listen(engine, "connect", sqlite_pragmas)
        return engine

    return _per_app(app, "postventa_ingest_engine", make)


def _group_committer(app: Flask) -> GroupCommitter:
    def make() -> GroupCommitter:
        url = _ingest_engine(app).url.set(drivername="postgresql").render_as_string(hide_password=False)

        def connect() -> psycopg.Connection[Any]:
            # A stuck database fails the batch (503, the platform retries) instead of hanging every request.
            return psycopg.connect(url, autocommit=True, options="-c statement_timeout=10000")

        return GroupCommitter(connect)

    return _per_app(app, "postventa_group_commit", make)


def close(app: Flask) -> None:
    """Close this process's ingest connections (tests, and an orderly shutdown)."""
    committer = app.extensions.pop("postventa_group_commit", None)
    if committer is not None:
        committer.close()
    engine = app.extensions.pop("postventa_ingest_engine", None)
    if engine is not None:
        engine.dispose()


def store_event(platform: str, domain: str, event_id: str, topic: str, body: str,
                app: Flask | None = None) -> Stored:
    """Durably store one webhook (deduplicated on its event id) without touching the ORM.

    On PostgreSQL, requests arriving together share one commit (group commit); SQLite stores each alone.
    `app` is for callers outside an app context (the WSGI fast path).
    """
    app = app or cast(Flask, current_app._get_current_object())  # type: ignore[attr-defined]
    engine = _ingest_engine(app)
    if engine.dialect.name == "postgresql":
        if _group_committer(app).store(Incoming(platform, domain, event_id, topic, body)):
            return Stored.NEW
        with engine.connect() as conn:
            exists = conn.execute(_SHOP_EXISTS, {"platform": platform, "domain": domain}).first()
        return Stored.DUPLICATE if exists is not None else Stored.UNKNOWN_SHOP
    try:
        return _store(engine, platform, domain, event_id, topic, body)
    except DBAPIError as exc:
        if not exc.connection_invalidated:
            raise
        return _store(engine, platform, domain, event_id, topic, body)  # a pooled connection had gone stale


def _store(engine: Engine, platform: str, domain: str, event_id: str, topic: str, body: str) -> Stored:
    params = {"platform": platform, "domain": domain}
    row = {**params, "event_id": event_id, "topic": topic, "payload": body, "now": datetime.now(UTC)}
    with engine.connect() as conn:
        if conn.execute(_INSERT_EVENT, row).rowcount == 1:
            return Stored.NEW
        if conn.execute(_SHOP_EXISTS, params).first() is None:
            return Stored.UNKNOWN_SHOP
        return Stored.DUPLICATE


def claim_pending(limit: int, now: datetime | None = None) -> list[int]:
    """Take up to `limit` pending events for one batch; an expired claim is taken again."""
    now = now or datetime.now(UTC)  # one `now` per dispatch pass: a pass never re-takes its own claims
    lease = timedelta(seconds=current_app.config["CLAIM_LEASE_SECONDS"])
    candidates = (
        select(WebhookEvent.id)
        .where(WebhookEvent.status == "pending")
        .where((WebhookEvent.claimed_at.is_(None)) | (WebhookEvent.claimed_at < now - lease))
        .order_by(WebhookEvent.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    ids = list(db.session.scalars(candidates))
    if ids:
        db.session.execute(update(WebhookEvent).where(WebhookEvent.id.in_(ids)).values(claimed_at=now))
    db.session.commit()
    return ids


def process_events(event_ids: list[int]) -> BatchResult:
    """Apply each event in its own transaction: one bad payload never blocks the rest."""
    processed = failed = deferred = 0
    for event_id in event_ids:
        outcome = _process_one(event_id)
        processed += outcome == "processed"
        failed += outcome == "failed"
        deferred += outcome == "deferred"
    return BatchResult(processed, failed, deferred)


def _process_one(event_id: int) -> str:
    event = db.session.scalar(
        select(WebhookEvent).where(WebhookEvent.id == event_id, WebhookEvent.status == "pending").with_for_update()
    )
    if event is None:
        db.session.rollback()
        return "skipped"
    shop = db.session.get(Shop, event.shop_id)
    assert shop is not None  # the foreign key guarantees it
    now = datetime.now(UTC)
    event.attempts += 1
    try:
        payload = json.loads(event.payload)
        change = get_connector(shop.platform).normalize_webhook(event.topic, payload)
    except (NormalizeError, ValueError) as exc:
        log.warning("webhook event %s kept as failed: %s", event.id, exc)
        event.status, event.error, event.processed_at = "failed", f"normalise: {exc}", now
        db.session.commit()
        return "failed"
    if isinstance(change, ShopRedact):
        privacy.erase_shop(shop.id)  # the cascade removes this event too: nothing left to mark
        db.session.commit()
        return "processed"
    try:
        _apply(shop, change)
    except OrderNotYetKnown as exc:
        db.session.rollback()
        return _defer(event_id, str(exc))
    event.status, event.error, event.processed_at = "processed", None, now
    db.session.commit()
    return "processed"


def _apply(shop: Shop, change: Change) -> None:
    if isinstance(change, OrderChange | ShipmentChange | TrackingEventChange | OrderDeleted | RefundChange
                  | ReturnChange):
        if shop.uninstalled_at is None:  # an uninstalled shop's late order news is stored, but not acted on
            apply_change(shop, change)
    elif isinstance(change, CustomerRedact):
        privacy.redact_customer(shop, change)
    elif isinstance(change, CustomerDataRequest):
        privacy.export_customer_data(shop, change)
    elif isinstance(change, AppUninstalled):
        privacy.uninstall(shop)
    else:
        raise TypeError(f"no handler for {change!r}")


def _defer(event_id: int, reason: str) -> str:
    """Try again shortly (e.g. a fulfillment before its order); give up after many tries."""
    event = db.session.get(WebhookEvent, event_id)
    assert event is not None
    event.attempts += 1
    event.error = reason
    if event.attempts >= MAX_EVENT_ATTEMPTS:
        event.status = "failed"
        event.processed_at = datetime.now(UTC)
        db.session.commit()
        return "failed"
    lease = timedelta(seconds=current_app.config["CLAIM_LEASE_SECONDS"])
    event.claimed_at = datetime.now(UTC) - lease + RETRY_AFTER
    db.session.commit()
    return "deferred"
