"""Tracking jobs: polling the tracking provider, and the sweep that expires quiet shipments and flags late ones."""

from __future__ import annotations

from jobs.context import job_app


def sweep() -> dict[str, int]:
    from app.services.delays import sweep as run

    with job_app().app_context():
        done = run()
        return {"expired": done.expired, "late": done.late, "stuck": done.stuck}


def poll(shipment_ids: list[int]) -> int:
    """Ask the tracking provider about these shipments (registering new ones) and apply what it says."""
    from app.services.tracking import poll as run

    with job_app().app_context():
        return run(shipment_ids)
