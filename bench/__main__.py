"""Runs the benchmarks (ingest, tracking page, then pipeline) and prints a summary; always exits 0."""

from __future__ import annotations

import sys
import time
import traceback

from bench import ingest, pipeline, tracking_page


def main() -> int:
    started = time.monotonic()
    summary: list[str] = []
    try:
        result = ingest.run()
        summary += ["ingest:", *(f"  {line}" for line in result.lines)] if result else ["ingest: skipped"]
    except Exception:  # a measurement, not a test: report and go on
        traceback.print_exc()
        summary.append("ingest: failed (see above)")
    print()
    try:
        tracking = tracking_page.run()
        summary += (["tracking page:", *(f"  {line}" for line in tracking.lines)] if tracking
                    else ["tracking page: skipped"])
    except Exception:
        traceback.print_exc()
        summary.append("tracking page: failed (see above)")
    print()
    try:
        summary += ["pipeline:", *(f"  {line}" for line in pipeline.run().lines)]
    except Exception:
        traceback.print_exc()
        summary.append("pipeline: failed (see above)")
    print()
    print(f"== summary ({time.monotonic() - started:.0f} s) ==")
    for line in summary:
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
