"""Return work for the queue: one job per return, taking its id; the service keeps each step exactly once."""

from __future__ import annotations

from app.services import return_tasks
from jobs.context import job_app


def run(return_id: int) -> dict[str, str]:
    with job_app().app_context():
        return return_tasks.run(return_id)
