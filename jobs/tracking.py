"""Tracking jobs: the periodic sweep that expires quiet shipments and writes to shoppers whose parcel is late."""

from __future__ import annotations

from jobs.context import job_app


def sweep() -> dict[str, int]:
    from app.services.delays import sweep as run

    with job_app().app_context():
        done = run()
        return {"expired": done.expired, "late": done.late, "stuck": done.stuck}
