"""Job: apply a batch of stored webhook events."""

from __future__ import annotations

from app.services import ingest
from jobs.context import job_app


def process_events(event_ids: list[int]) -> dict[str, int]:
    with job_app().app_context():
        result = ingest.process_events(event_ids)
    return {"processed": result.processed, "failed": result.failed, "deferred": result.deferred}
