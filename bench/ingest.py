"""Webhook ingest throughput: signed Shopify orders/create POSTs through gunicorn, against a bare Flask app."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import shutil
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
    wait_for_port,
)

BODY = ROOT / "tests" / "fixtures" / "shopify" / "orders_create.json"
LUA = Path(__file__).resolve().parent / "webhook.lua"
CONNECTIONS = 32
WRK_THREADS = 2
WARMUP_SECONDS = 3
RUN_SECONDS = 15
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
class AppRun:
    wrk: WrkResult
    rows_added: int


@dataclass(frozen=True)
class ConfigResult:
    name: str
    app: AppRun
    baseline: WrkResult

    @property
    def ratio(self) -> float:
        return self.app.wrk.rps / self.baseline.rps if self.baseline.rps else 0.0


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


def bench_config(wrk: str, name: str, settings: list[str], env: dict[str, str], tmp: Path, body: Path,
                 signature: str) -> ConfigResult:
    tag = re.sub(r"\W+", "-", name)
    port = free_port()
    with child(gunicorn_args("wsgi:app", port, settings), env, tmp / f"gunicorn-app-{tag}.log") as proc:
        wait_for_port(port, proc)
        run_wrk(wrk, port, WARMUP_SECONDS, body, signature, f"{tag}-warm")
        time.sleep(0.5)
        before = _rows()
        app_wrk = run_wrk(wrk, port, RUN_SECONDS, body, signature, f"{tag}-run")
        time.sleep(1.0)  # requests wrk gave up on at the deadline may still be committing
        rows_added = _rows() - before
    port = free_port()
    with child(gunicorn_args("bench.bare_app:app", port, settings), env, tmp / f"gunicorn-bare-{tag}.log") as proc:
        wait_for_port(port, proc)
        run_wrk(wrk, port, WARMUP_SECONDS, body, signature, f"{tag}-bare-warm")
        baseline = run_wrk(wrk, port, RUN_SECONDS, body, signature, f"{tag}-bare-run")
    return ConfigResult(name, AppRun(app_wrk, rows_added), baseline)


def describe(r: ConfigResult) -> str:
    a, b = r.app.wrk, r.baseline
    return (
        f"  {r.name:<11} app {a.rps:8.1f} req/s (p50 {a.p50_ms:.1f} ms, p99 {a.p99_ms:.1f} ms, "
        f"non-2xx {a.non_2xx}, socket errors: {a.socket_errors})\n"
        f"  {'':<11} bare {b.rps:7.1f} req/s (p50 {b.p50_ms:.1f} ms, p99 {b.p99_ms:.1f} ms, non-2xx {b.non_2xx})"
        f"  ratio {r.ratio:.2f}\n"
        f"  {'':<11} wrk counted {a.requests} requests, webhook_events grew by {r.app.rows_added}"
        f" ({r.app.rows_added - a.requests:+d})"
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
              f"{WARMUP_SECONDS}s warm-up + {RUN_SECONDS}s; body {len(body_bytes)} bytes")
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
    best = max(results, key=lambda r: r.app.wrk.rps)
    a = best.app.wrk
    checks = [
        f"better configuration: {best.name}",
        f"app req/s: {a.rps:.1f}",
        f"baseline (bare Flask) req/s: {best.baseline.rps:.1f}",
        Verdict("ratio app/bare", best.ratio, RATIO_TARGET).line(),
        Verdict(f"p99 at {CONNECTIONS} connections", a.p99_ms, P99_TARGET_MS, higher_is_better=False).line(
            " ms", ".1f"
        ),
        f"non-2xx responses: {a.non_2xx} " + ("OK" if a.non_2xx == 0 else "(expected 0)"),
        f"rows stored: {best.app.rows_added} for {a.requests} requests wrk counted",
    ]
    for line in checks:
        print(line)
    return IngestSummary(best, checks)


def main() -> int:
    return report_main("ingest", run)


if __name__ == "__main__":
    sys.exit(main())
