"""Emails delivered per second by one burst worker into an SMTP sink, against the same worker running no-op jobs."""

from __future__ import annotations

import multiprocessing
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from multiprocessing.sharedctypes import Synchronized
from multiprocessing.synchronize import Event
from pathlib import Path
from typing import Any

from bench.common import (
    FLASK,
    HOST,
    PYTHON,
    QUEUE_NAME,
    REDIS_URL,
    Verdict,
    app_env,
    child,
    flush_redis,
    free_port,
    fresh_database,
    report_main,
    run_checked,
    scalar,
)

N_EMAILS = 2000
M_NOOP = 500
RATIO_TARGET = 1.0
WORKER_TIMEOUT = 150.0
WORKER = [*FLASK, "worker", "--burst", "--no-dispatcher"]


class _CountingHandler:
    """aiosmtpd handler: accept every message and count it."""

    def __init__(self, count: Synchronized[int]) -> None:
        self.count = count

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.count.get_lock():
            self.count.value += 1
        return "250 OK"


def _smtp_sink(port: int, count: Synchronized[int], ready: Event, stop: Event) -> None:
    from aiosmtpd.controller import Controller

    controller = Controller(_CountingHandler(count), hostname=HOST, port=port)
    controller.start()
    try:
        ready.set()
        stop.wait()
    finally:
        controller.stop()


@contextmanager
def smtp_sink() -> Iterator[tuple[int, Synchronized[int]]]:
    """An SMTP server in its own process; yields its port and its message counter."""
    ctx = multiprocessing.get_context("spawn")
    count: Synchronized[int] = ctx.Value("q", 0)
    ready, stop = ctx.Event(), ctx.Event()
    port = free_port()
    proc = ctx.Process(target=_smtp_sink, args=(port, count, ready, stop), name="pvbench-smtp", daemon=True)
    proc.start()
    try:
        deadline = time.monotonic() + 30
        while not ready.wait(0.1):
            if not proc.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"SMTP sink did not start (exit code {proc.exitcode})")
        yield port, count
    finally:
        stop.set()
        proc.join(5)
        if proc.is_alive():
            proc.kill()
            proc.join(5)


def time_burst_worker(env: dict[str, str], log: Path) -> float:
    """Seconds from starting `flask worker --burst --no-dispatcher` to its exit."""
    start = time.monotonic()
    with child(WORKER, env, log) as proc:
        try:
            code = proc.wait(WORKER_TIMEOUT)
        except subprocess.TimeoutExpired:
            raise RuntimeError(f"worker still running after {WORKER_TIMEOUT}s; see {log}") from None
        elapsed = time.monotonic() - start
    if code != 0:
        raise RuntimeError(f"worker exited {code}:\n{log.read_text()[-3000:]}")
    return elapsed


def enqueue_noops(m: int) -> None:
    import redis
    from rq import Queue

    q = Queue(QUEUE_NAME, connection=redis.Redis.from_url(REDIS_URL))
    q.enqueue_many([Queue.prepare_data("bench.noop.noop") for _ in range(m)])


def queue_length() -> int:
    import redis
    from rq import Queue

    return len(Queue(QUEUE_NAME, connection=redis.Redis.from_url(REDIS_URL)))


def failed_jobs() -> int:
    import redis
    from rq import Queue

    return len(Queue(QUEUE_NAME, connection=redis.Redis.from_url(REDIS_URL)).failed_job_registry)


def run_noop(env: dict[str, str], log: Path) -> float:
    """Seconds for the burst worker to drain M_NOOP no-op jobs from an emptied Redis db."""
    flush_redis()
    enqueue_noops(M_NOOP)
    elapsed = time_burst_worker(env, log)
    left, failed = queue_length(), failed_jobs()
    print(f"no-op: {M_NOOP} jobs in {elapsed:.2f} s = {M_NOOP / elapsed:.1f} jobs/s (queue left {left}, "
          f"failed {failed})", flush=True)
    flush_redis()
    return elapsed


@dataclass(frozen=True)
class PipelineSummary:
    emails_per_s: float
    noop_per_s: float
    lines: list[str]

    @property
    def ratio(self) -> float:
        return self.emails_per_s / self.noop_per_s if self.noop_per_s else 0.0


def run() -> PipelineSummary:
    print(f"== pipeline: {N_EMAILS} due 'shipped' emails, one burst worker, SMTP sink ==")
    with tempfile.TemporaryDirectory(prefix="pvbench-pipeline-") as tmpdir:
        tmp = Path(tmpdir)
        fresh_database()
        flush_redis()
        with smtp_sink() as (smtp_port, received):
            env = app_env(tmp / "instance", {"MAIL_URL": f"smtp://{HOST}:{smtp_port}?starttls=off"})
            run_checked([*FLASK, "db", "upgrade"], env)

            # Baseline: the same worker command draining no-op jobs, before and after the emails (drift cancels).
            noop_times = [run_noop(env, tmp / "worker-noop-1.log")]

            t0 = time.monotonic()
            due = int(run_checked([PYTHON, "-m", "bench.seed", str(N_EMAILS)], env, timeout=300).strip())
            print(f"seeded {N_EMAILS} orders via upsert_order in {time.monotonic() - t0:.1f} s; {due} due", flush=True)
            dispatched = run_checked([*FLASK, "dispatch"], env).strip()
            print(f"dispatch: {dispatched}", flush=True)
            mail_s = time_burst_worker(env, tmp / "worker-mail.log")
            time.sleep(0.2)  # the sink counts after replying 250; let the last increment land
            sink_count = received.value
            mail_failed = failed_jobs()
            print(f"email worker: exited after {mail_s:.2f} s", flush=True)

            noop_times.append(run_noop(env, tmp / "worker-noop-2.log"))
        sent_rows = scalar("SELECT count(*) FROM messages WHERE status = 'sent'")
    noop_per_s = M_NOOP * len(noop_times) / sum(noop_times)
    emails_per_s = N_EMAILS / mail_s
    summary_lines = [
        f"emails: {N_EMAILS} in {mail_s:.2f} s; sink received {sink_count}, messages sent {sent_rows}, "
        f"failed jobs {mail_failed} " + ("OK" if sink_count == sent_rows == N_EMAILS else f"(expected {N_EMAILS})"),
        f"emails/s: {emails_per_s:.1f}",
        f"baseline no-op jobs/s: {noop_per_s:.1f} ({len(noop_times)} runs of {M_NOOP}, before and after)",
        Verdict("ratio emails/no-op jobs", emails_per_s / noop_per_s, RATIO_TARGET).line(),
    ]
    for line in summary_lines:
        print(line)
    return PipelineSummary(emails_per_s, noop_per_s, summary_lines)


def main() -> int:
    return report_main("pipeline", run)


if __name__ == "__main__":
    sys.exit(main())
