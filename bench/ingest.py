"""Webhook ingest throughput: signed Shopify orders/create POSTs through gunicorn, against a bare Flask app.

Both servers run side by side and are measured in alternating rounds, each on a settled machine (PostgreSQL's
vacuum and checkpoint paid first); the figures are the medians, so drift hits both sides alike.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from bench.common import (
    GUNICORN,
    HOST,
    ROOT,
    SHOP_DOMAIN,
    SHOPIFY_SECRET,
    Verdict,
    app_env,
    child,
    flush_redis,
    free_port,
    fresh_database,
    migrate_and_create_shop,
    report_main,
    scalar,
    settle,
    wait_for_port,
)

BODY = ROOT / "tests" / "fixtures" / "shopify" / "orders_create.json"
LUA = Path(__file__).resolve().parent / "webhook.lua"
CONNECTIONS = 32
WRK_THREADS = 2
WARMUP_SECONDS = 5
RUN_SECONDS = 10
ROUNDS = 3
WORKERS = 2
RATIO_TARGET = 0.5
P99_TARGET_MS = 50.0

# Gunicorn worker settings tried; the app and its baseline always share one of them.
CONFIGS: dict[str, list[str]] = {
    "sync": ["--worker-class", "sync"],
    "gthread x8": ["--worker-class", "gthread", "--threads", "8"],
}

_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}


@dataclass(frozen=True)
class WrkResult:
    requests: int
    rps: float
    p50_ms: float
    p99_ms: float
    non_2xx: int
    socket_errors: str


@dataclass(frozen=True)
class ConfigResult:
    name: str
    app_runs: list[WrkResult]
    bare_runs: list[WrkResult]
    rows_added: int

    @property
    def app_rps(self) -> float:
        return statistics.median(r.rps for r in self.app_runs)

    @property
    def bare_rps(self) -> float:
        return statistics.median(r.rps for r in self.bare_runs)

    @property
    def ratio(self) -> float:
        return self.app_rps / self.bare_rps if self.bare_rps else 0.0

    @property
    def p99_ms(self) -> float:
        return statistics.median(r.p99_ms for r in self.app_runs)

    @property
    def requests(self) -> int:
        return sum(r.requests for r in self.app_runs)

    @property
    def non_2xx(self) -> int:
        return sum(r.non_2xx for r in self.app_runs)


@dataclass(frozen=True)
class IngestSummary:
    best: ConfigResult
    lines: list[str]


def sign(body: bytes) -> str:
    """X-Shopify-Hmac-Sha256: base64 of the HMAC-SHA256 of the raw body."""
    return base64.b64encode(hmac.new(SHOPIFY_SECRET.encode(), body, hashlib.sha256).digest()).decode()


def _latency_ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m|h)", text)
    if not match:
        raise ValueError(f"unparsed wrk latency {text!r}")
    return float(match.group(1)) * _UNITS_MS[match.group(2)]


def parse_wrk(output: str) -> WrkResult:
    def find(pattern: str) -> re.Match[str]:
        match = re.search(pattern, output, re.MULTILINE)
        if match is None:
            raise ValueError(f"wrk output has no {pattern!r}:\n{output}")
        return match

    non_2xx = re.search(r"Non-2xx or 3xx responses:\s*(\d+)", output)
    errors = re.search(r"Socket errors:\s*(.+)$", output, re.MULTILINE)
    return WrkResult(
        requests=int(find(r"^\s*(\d+) requests in")[1]),
        rps=float(find(r"^Requests/sec:\s*([\d.]+)")[1]),
        p50_ms=_latency_ms(find(r"^\s*50%\s+(\S+)")[1]),
        p99_ms=_latency_ms(find(r"^\s*99%\s+(\S+)")[1]),
        non_2xx=int(non_2xx[1]) if non_2xx else 0,
        socket_errors=errors[1].strip() if errors else "none",
    )


def run_wrk(wrk: str, port: int, seconds: int, body: Path, signature: str, prefix: str) -> WrkResult:
    args = [
        wrk, "-t", str(WRK_THREADS), "-c", str(CONNECTIONS), "-d", f"{seconds}s", "--latency", "--timeout", "5s",
        "-s", str(LUA), f"http://{HOST}:{port}/webhooks/shopify", "--", str(body), signature, SHOP_DOMAIN, prefix,
    ]
    proc = subprocess.run(args, capture_output=True, text=True, timeout=seconds + 30)
    if proc.returncode != 0:
        raise RuntimeError(f"wrk exited {proc.returncode}: {proc.stderr}{proc.stdout}")
    return parse_wrk(proc.stdout)


def gunicorn_args(target: str, port: int, settings: list[str]) -> list[str]:
    return [GUNICORN, "--bind", f"{HOST}:{port}", "--workers", str(WORKERS), *settings,
            "--log-level", "warning", "--graceful-timeout", "2", target]


def _rows() -> int:
    return scalar("SELECT count(*) FROM webhook_events")


def wait_for_workers(port: int, timeout: float = 60) -> None:
    """The master listens before its workers have imported the app: go on once several requests were answered."""
    import urllib.error
    import urllib.request

    deadline = time.monotonic() + timeout
    answered = 0
    while answered < 2 * WORKERS:  # the socket is shared, not balanced: a few answers, so every worker is up
        try:
            with urllib.request.urlopen(f"http://{HOST}:{port}/webhooks/shopify", data=b"{}", timeout=5):
                answered += 1
        except urllib.error.HTTPError:  # the app refuses the unsigned body: an answer all the same
            answered += 1
        except (urllib.error.URLError, OSError):
            if time.monotonic() > deadline:
                raise RuntimeError(f"no answer on port {port} after {timeout:.0f} s") from None
            time.sleep(0.1)


def bench_config(wrk: str, name: str, settings: list[str], env: dict[str, str], tmp: Path, body: Path,
                 signature: str) -> ConfigResult:
    """The app and the bare baseline served side by side, measured in alternating rounds."""
    tag = re.sub(r"\W+", "-", name)
    app_port, bare_port = free_port(), free_port()
    app_runs: list[WrkResult] = []
    bare_runs: list[WrkResult] = []
    with (child(gunicorn_args("wsgi:app", app_port, settings), env, tmp / f"gunicorn-app-{tag}.log") as app,
          child(gunicorn_args("bench.bare_app:app", bare_port, settings), env,
                tmp / f"gunicorn-bare-{tag}.log") as bare):
        for port, proc, label in ((app_port, app, "app"), (bare_port, bare, "bare")):
            wait_for_port(port, proc)
            wait_for_workers(port)
            run_wrk(wrk, port, WARMUP_SECONDS, body, signature, f"{tag}-{label}-warm")
        before = _rows()
        for round_no in range(ROUNDS):
            order = [("app", app_port), ("bare", bare_port)]
            for label, port in order if round_no % 2 == 0 else reversed(order):
                settle()
                result = run_wrk(wrk, port, RUN_SECONDS, body, signature, f"{tag}-{label}-{round_no}")
                (app_runs if label == "app" else bare_runs).append(result)
        time.sleep(1.0)  # requests wrk gave up on at the deadline may still be committing
        rows_added = _rows() - before
    return ConfigResult(name, app_runs, bare_runs, rows_added)


def describe(r: ConfigResult) -> str:
    def runs(results: list[WrkResult]) -> str:
        return ", ".join(f"{x.rps:.0f}" for x in results)

    return (
        f"  {r.name:<11} app  {r.app_rps:7.1f} req/s median of {runs(r.app_runs)}; p99 {r.p99_ms:.1f} ms median of "
        + ", ".join(f"{x.p99_ms:.1f}" for x in r.app_runs)
        + f"; non-2xx {r.non_2xx}\n"
        f"  {'':<11} bare {r.bare_rps:7.1f} req/s median of {runs(r.bare_runs)}  ratio {r.ratio:.2f}\n"
        f"  {'':<11} wrk counted {r.requests} app requests, webhook_events grew by {r.rows_added}"
        f" ({r.rows_added - r.requests:+d})"
    )


def run() -> IngestSummary | None:
    """Both gunicorn configurations; prints the per-config figures and the verdict for the better one."""
    print("== ingest: POST /webhooks/shopify (signed orders/create, unique event ids) ==")
    wrk = shutil.which("wrk")
    if wrk is None:
        print("wrk is not installed; install it with:  apt-get update && apt-get install -y wrk")
        print("ingest: SKIPPED")
        return None
    body_bytes = BODY.read_bytes()
    signature = sign(body_bytes)
    with tempfile.TemporaryDirectory(prefix="pvbench-ingest-") as tmpdir:
        tmp = Path(tmpdir)
        body = tmp / "orders_create.json"
        body.write_bytes(body_bytes)
        env = app_env(tmp / "instance")
        fresh_database()
        flush_redis()
        migrate_and_create_shop(env)
        print(f"gunicorn {WORKERS} workers; wrk {WRK_THREADS} threads, {CONNECTIONS} connections, "
              f"{WARMUP_SECONDS}s warm-up, then {ROUNDS} alternating rounds of {RUN_SECONDS}s on a settled machine; "
              f"body {len(body_bytes)} bytes")
        results: list[ConfigResult] = []
        for name, settings in CONFIGS.items():
            try:
                result = bench_config(wrk, name, settings, env, tmp, body, signature)
            except (RuntimeError, ValueError, subprocess.TimeoutExpired) as exc:
                print(f"  {name}: failed: {exc}")
                for log in sorted(tmp.glob("gunicorn-*.log")):
                    print(f"  --- {log.name}\n{log.read_text()[-2000:]}")
                continue
            results.append(result)
            print(describe(result), flush=True)
    if not results:
        print("ingest: no configuration completed")
        return None
    best = max(results, key=lambda r: r.app_rps)
    checks = [
        f"better configuration: {best.name}",
        f"app req/s: {best.app_rps:.1f} (median of {ROUNDS})",
        f"baseline (bare Flask) req/s: {best.bare_rps:.1f} (median of {ROUNDS})",
        Verdict("ratio app/bare", best.ratio, RATIO_TARGET).line(),
        Verdict(f"p99 at {CONNECTIONS} connections (median of {ROUNDS})", best.p99_ms, P99_TARGET_MS,
                higher_is_better=False).line(" ms", ".1f"),
        f"non-2xx responses: {best.non_2xx} " + ("OK" if best.non_2xx == 0 else "(expected 0)"),
        f"rows stored: {best.rows_added} for {best.requests} requests wrk counted",
    ]
    for line in checks:
        print(line)
    return IngestSummary(best, checks)


def main() -> int:
    return report_main("ingest", run)


if __name__ == "__main__":
    sys.exit(main())
