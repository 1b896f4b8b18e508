"""The dispatcher: hands what SQL says is due to RQ, in batches; safe to run on every worker."""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from flask import Flask
from sqlalchemy import select, update

from app.extensions import db
from app.models import Shop
from app.queue import RETRY, queue, redis_connection
from app.services import ingest, outbox, return_tasks, tracking

log = logging.getLogger(__name__)

@dataclass(frozen=True)
class Dispatched:
    event_batches: int = 0
    message_batches: int = 0

    @property
    def any(self) -> bool:
        return bool(self.event_batches or self.message_batches)


def dispatch_once(app: Flask) -> Dispatched:
    """One pass: pending webhook events, then due messages, each as batch jobs."""
    events = messages = 0
    now = datetime.now(UTC)
    with app.app_context():
        q = queue(app)
        while ids := ingest.claim_pending(app.config["EVENT_BATCH_SIZE"], now):
            q.enqueue("jobs.ingest.process_events", ids, retry=RETRY, description=f"events {ids[0]}..{ids[-1]}")
            events += 1
        while ids := outbox.claim_due(app.config["MAIL_BATCH_SIZE"], now):
            q.enqueue("jobs.mail.send_messages", ids, retry=RETRY, description=f"messages {ids[0]}..{ids[-1]}")
            messages += 1
        for shop_id, platform in shops_due_for_reconciliation(app, now):
            q.enqueue(f"jobs.{platform}.reconcile", shop_id, description=f"reconcile shop {shop_id}")
        while ids := tracking.claim_due(app.config["MAIL_BATCH_SIZE"], now):
            q.enqueue("jobs.tracking.poll", ids, retry=RETRY, description=f"poll {len(ids)} shipments")
        while ids := return_tasks.claim_due(app.config["MAIL_BATCH_SIZE"], now):
            for return_id in ids:
                q.enqueue("jobs.returns.run", return_id, retry=RETRY, description=f"return {return_id}")
        if sweep_due(app, now):
            q.enqueue("jobs.tracking.sweep", description="expire quiet shipments, flag late ones")
        db.session.remove()
    return Dispatched(events, messages)


def run_forever(app: Flask, parent_pid: int | None = None) -> None:
    """Poll until the worker that started us goes away."""
    interval = app.config["DISPATCH_INTERVAL"]
    while parent_pid is None or os.getppid() == parent_pid:
        try:
            done = dispatch_once(app)
        except Exception:  # the loop must outlive a database or Redis hiccup
            log.exception("dispatch pass failed; trying again")
            time.sleep(max(interval, 2.0))
            continue
        if not done.any:
            time.sleep(interval)


def sweep_due(app: Flask, now: datetime) -> bool:
    """One sweep per interval across every worker: the first dispatcher to claim the interval's key runs it."""
    interval = int(app.config["SWEEP_INTERVAL_SECONDS"])
    if interval <= 0:
        return False  # turned off (tests drive the sweep themselves, with their own clock)
    bucket = int(now.timestamp()) // interval
    return bool(redis_connection(app).set(f"postventa:sweep:{bucket}", 1, nx=True, ex=interval * 2))


def shops_due_for_reconciliation(app: Flask, now: datetime) -> list[tuple[int, str]]:
    """Connected shops whose last re-read was handed out more than the interval ago (claimed in SQL)."""
    due = now - timedelta(seconds=app.config["RECONCILE_INTERVAL_SECONDS"])
    connected = ((Shop.platform == "shopify") & Shop.access_token_enc.is_not(None)) | (
        (Shop.platform == "woocommerce") & Shop.credentials_enc.is_not(None))
    rows = [(r.id, r.platform) for r in db.session.execute(
        select(Shop.id, Shop.platform)
        .where(connected, Shop.uninstalled_at.is_(None))
        .where((Shop.reconcile_enqueued_at.is_(None)) | (Shop.reconcile_enqueued_at < due))
        .with_for_update(skip_locked=True)
    )]
    if rows:
        db.session.execute(update(Shop).where(Shop.id.in_([r[0] for r in rows])).values(reconcile_enqueued_at=now))
    db.session.commit()
    return rows
