"""The pipeline baseline's job: does nothing, so a worker's per-job overhead is all that is timed."""

from __future__ import annotations


def noop() -> None:
    return None
