"""Job: send a batch of outbox messages over one connection."""

from __future__ import annotations

from app.services import delivery
from jobs.context import job_app


def send_messages(message_ids: list[int]) -> dict[str, int]:
    with job_app().app_context():
        result = delivery.send_messages(message_ids)
    return {"sent": result.sent, "skipped": result.skipped}
