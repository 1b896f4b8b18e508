"""Shared bench plumbing: the app's environment, a fresh pvbench database, and child processes that always die."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / ".venv" / "bin"
PYTHON = str(BIN / "python") if (BIN / "python").exists() else sys.executable
FLASK = [str(BIN / "flask"), "--app", "wsgi"]
GUNICORN = str(BIN / "gunicorn")

HOST = "127.0.0.1"
PG_ADMIN_URL = f"postgresql://postgres@{HOST}:5432/postgres"
DB_NAME = "pvbench"
DATABASE_URL = f"postgresql://postgres@{HOST}:5432/{DB_NAME}"
REDIS_URL = f"redis://{HOST}:6379/5"
SHOPIFY_SECRET = "benchsecret"
SHOP_DOMAIN = "bench-shop.myshopify.com"
QUEUE_NAME = "postventa"
# A fixed, valid Fernet key: nothing encrypted here outlives the run.
ENCRYPTION_KEY = "YmVuY2gtYmVuY2gtYmVuY2gtYmVuY2gtYmVuY2gtMDA="


def app_env(instance: Path, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The process environment the app (web, CLI, worker) runs with during a bench."""
    env = {k: v for k, v in os.environ.items() if k not in ("MAIL_URL", "APP_URL", "POSTVENTA_QUEUE")}
    env.update(
        DATABASE_URL=DATABASE_URL,
        REDIS_URL=REDIS_URL,
        SECRET_KEY="bench-secret-key",
        ENCRYPTION_KEY=ENCRYPTION_KEY,
        SHOPIFY_API_SECRET=SHOPIFY_SECRET,
        POSTVENTA_INSTANCE=str(instance),
        PYTHONPATH=str(ROOT),
    )
    env.update(extra or {})
    return env


def fresh_database() -> None:
    """Drop and create pvbench (never the `test` database)."""
    import psycopg

    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {DB_NAME}")


def scalar(sql: str) -> int:
    """One integer from pvbench."""
    import psycopg

    with psycopg.connect(DATABASE_URL, autocommit=True) as conn:
        row = conn.execute(sql).fetchone()
    return int(row[0]) if row else 0


def flush_redis() -> None:
    """Empty Redis db 5 (the bench's own; db 0 belongs to the tests)."""
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()


def run_checked(args: Sequence[str], env: Mapping[str, str], timeout: float = 120) -> str:
    """Run a short command to completion; its output, or an error that shows what it said."""
    proc = subprocess.run(
        list(args), cwd=ROOT, env=dict(env), capture_output=True, text=True, timeout=timeout, start_new_session=True
    )
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} exited {proc.returncode}:\n{proc.stdout}{proc.stderr}")
    return proc.stdout


def migrate_and_create_shop(env: Mapping[str, str]) -> None:
    run_checked([*FLASK, "db", "upgrade"], env)
    run_checked([*FLASK, "shops", "create", "shopify", SHOP_DOMAIN], env)


def _cpu_idle_share(seconds: float) -> float:
    """How much of the machine's CPU time went idle over the next `seconds`, from /proc/stat."""

    def sample() -> tuple[int, int]:
        fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        return sum(fields), fields[3] + fields[4]  # idle + iowait

    total0, idle0 = sample()
    time.sleep(seconds)
    total1, idle1 = sample()
    return (idle1 - idle0) / max(1, total1 - total0)


def settle(idle_share: float = 0.85, timeout: float = 30.0) -> float:
    """Pay PostgreSQL's deferred work now (vacuum, checkpoint) and wait for a quiet machine.

    Without it, the autovacuum and checkpoint that one run's inserts cause land in the next run's window,
    whichever server that is: the bare baseline swung by a third depending on what ran before it.
    Returns the idle share measured last.
    """
    import psycopg

    with psycopg.connect(DATABASE_URL, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
        conn.execute("CHECKPOINT")
    deadline = time.monotonic() + timeout
    idle = _cpu_idle_share(0.5)
    while idle < idle_share and time.monotonic() < deadline:
        idle = _cpu_idle_share(0.5)
    return idle


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def wait_for_port(port: int, proc: subprocess.Popen[bytes] | None = None, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"process exited with {proc.returncode} before listening on {port}")
        try:
            with socket.create_connection((HOST, port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listening on {HOST}:{port} after {timeout}s")


def _proc_stat(pid: int) -> tuple[int, int] | None:
    """(parent pid, start time) of a live process, from /proc."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = raw[raw.rindex(")") + 2 :].split()
    return int(fields[1]), int(fields[19])


def descendants(root: int) -> set[tuple[int, int]]:
    """Every process below `root` as (pid, start time), so a reused pid is never mistaken for ours."""
    children: dict[int, list[tuple[int, int]]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (stat := _proc_stat(int(entry.name))) is not None:
            children.setdefault(stat[0], []).append((int(entry.name), stat[1]))
    found: set[tuple[int, int]] = set()
    todo = [root]
    while todo:
        for kid in children.get(todo.pop(), []):
            if kid not in found:
                found.add(kid)
                todo.append(kid[0])
    return found


def kill_group(proc: subprocess.Popen[bytes], grace: float = 5.0) -> None:
    """SIGTERM the child's process group, then SIGKILL the group and any descendant that left it.

    RQ's work horse, for one, moves to a process group of its own.
    """
    below = descendants(proc.pid)
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            proc.wait(grace)
        except subprocess.TimeoutExpired:
            pass
    try:
        os.killpg(proc.pid, signal.SIGKILL)  # stragglers (e.g. forked children) even if the leader exited
    except (ProcessLookupError, PermissionError):
        pass
    for pid, started in below:
        stat = _proc_stat(pid)
        if stat is not None and stat[1] == started:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
    if proc.poll() is None:
        proc.wait(grace)


@contextmanager
def child(args: Sequence[str], env: Mapping[str, str], log: Path | None = None) -> Iterator[subprocess.Popen[bytes]]:
    """A child in its own process group, killed (group and all) however the block ends."""
    out = open(log, "wb") if log is not None else subprocess.DEVNULL
    try:
        proc = subprocess.Popen(list(args), cwd=ROOT, env=dict(env), stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)
        try:
            yield proc
        finally:
            kill_group(proc)
    finally:
        if log is not None and not isinstance(out, int):
            out.close()


@dataclass(frozen=True)
class Verdict:
    """A figure against its target, printed as PASS or FAIL."""

    label: str
    value: float
    target: float
    higher_is_better: bool = True

    @property
    def passed(self) -> bool:
        return self.value >= self.target if self.higher_is_better else self.value <= self.target

    def line(self, unit: str = "", fmt: str = ".2f") -> str:
        op = ">=" if self.higher_is_better else "<="
        return f"{self.label}: {self.value:{fmt}}{unit} (target {op} {self.target:{fmt}}{unit}) " + (
            "PASS" if self.passed else "FAIL"
        )


def report_main(name: str, run: Callable[[], object]) -> int:
    """Run one bench; a measurement, not a test: a failure is reported and the exit code stays 0."""
    try:
        run()
    except Exception as exc:  # report any failure; the figures are what matter
        print(f"{name} bench failed: {type(exc).__name__}: {exc}", file=sys.stderr)
    return 0
