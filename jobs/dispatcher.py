"""The dispatcher: hands what SQL says is due to RQ, in batches; safe to run on every worker."""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from flask import Flask

from app.extensions import db
from app.queue import RETRY, queue
from app.services import ingest, outbox

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
