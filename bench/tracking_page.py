"""Shopper tracking page: GET /t/<token> for 500 different orders through gunicorn, against a bare Flask page."""

from __future__ import annotations

import dataclasses
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bench.common import (
    DATABASE_URL,
    HOST,
    REDIS_URL,
    SHOP_DOMAIN,
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
from bench.ingest import CONFIGS, WORKERS, gunicorn_args

if TYPE_CHECKING:
    from flask import Flask

LUA = Path(__file__).resolve().parent / "tracking.lua"
N_ORDERS = 2000
N_PAGES = 500
CONNECTIONS = 50
WRK_THREADS = 2
WARMUP_SECONDS = 3
RUN_SECONDS = 15
P95_TARGET_MS = 20.0
SEED = 20260101


@dataclass(frozen=True)
class WrkRun:
    requests: int
    rps: float
    p50_ms: float
    p75_ms: float
    p90_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float
    not_200: int
    timeouts: int
    bytes_per_response: float
    socket_errors: str

    def brief(self) -> str:
        return (f"{self.rps:8.1f} req/s (p50 {self.p50_ms:.1f}, p95 {self.p95_ms:.1f}, p99 {self.p99_ms:.1f}, "
                f"max {self.max_ms:.1f} ms; non-200 {self.not_200}, socket errors: {self.socket_errors})")


@dataclass(frozen=True)
class Seeded:
    orders: int
    line_items: int
    shipments: int
    events: int
    paths: list[str]
    shipments_of: dict[str, int]  # path -> how many shipments its order has
    seconds: float


@dataclass(frozen=True)
class Probe:
    """Every page fetched twice in-process (Flask test client, one at a time): rendered, then from the cache."""

    pages: int
    not_200: list[tuple[str, int]]
    mean_bytes: float
    p50_ms: float  # rendered (a cache miss)
    p95_ms: float
    statements: dict[int, float]  # shipments on the order -> mean SQL statements per rendered page
    kinds: dict[str, float]  # statement keyword -> mean per rendered page
    commits: float
    cached_p50_ms: float  # the same pages again, from this process's cache
    cached_p95_ms: float
    cached_statements: float  # SQL statements per cached page through SQLAlchemy (the version read is not one)
    version_reads: float  # the one primary-key query every view makes, on its own connection
    cache_hits: int
    same_html: bool  # the cached page is byte for byte the rendered one
    views_stored: int  # page views written by the end of the probe (one per fetch expected)


@dataclass(frozen=True)
class TrackingSummary:
    config: str
    app: WrkRun
    baseline: WrkRun | None
    lines: list[str]

    @property
    def ratio(self) -> float:
        return self.app.rps / self.baseline.rps if self.baseline and self.baseline.rps else 0.0


# --- seeding -------------------------------------------------------------------------------------------------

_PRODUCTS = [
    ("Camiseta de algodón orgánico", "M / Verde", Decimal("19.90")),
    ("Sudadera con capucha", "L / Gris", Decimal("44.00")),
    ("Tote bag", None, Decimal("9.50")),
    ("Zapatillas de lona", "42 / Blanco", Decimal("59.95")),
    ("Gorra bordada", None, Decimal("17.00")),
    ("Calcetines (pack de 3)", "39-42", Decimal("12.50")),
    ("Botella térmica 500 ml", "Azul", Decimal("24.90")),
]
_CARRIERS = [
    ("UPS", "ups", "https://www.ups.com/track?tracknum={n}"),
    ("Correos", "correos", "https://www.correos.es/es/es/herramientas/localizador/envios/detalle?tracking-number={n}"),
    ("SEUR", "seur", "https://www.seur.com/livetracking/?segOnlineIdentificador={n}"),
    ("DHL Express", "dhl", "https://www.dhl.com/es-es/home/tracking.html?tracking-id={n}"),
]
_PLACES = ["Madrid, ES", "Zaragoza, ES", "Barcelona, ES", "Valencia, ES", "Sevilla, ES", "Bilbao, ES", "Coslada, ES"]
_TRANSIT_MESSAGES = ["Departed facility", "Arrived at facility", "Processed at sort centre",
                     "In transit to next facility", "Loaded on vehicle"]
# The shipment's final status, how often; delivered and in transit dominate a live store.
_OUTCOMES = [("delivered", 40), ("in_transit", 38), ("out_for_delivery", 10), ("exception", 4), ("in_transit_late", 5),
             ("info_received", 3)]


def bench_app(env: dict[str, str]) -> Flask:
    """The app built in this process with the bench's settings (same SECRET_KEY as gunicorn's)."""
    from app import create_app
    from app.config import Config

    class BenchConfig(Config):
        def __init__(self, instance_path: Path, _env: Any = None) -> None:
            super().__init__(instance_path, env)

    return create_app(BenchConfig, instance_path=env["POSTVENTA_INSTANCE"])


def _events(rng: random.Random, outcome: str, shipped: datetime) -> list[tuple[str, datetime, str, str]]:
    """(status, occurred_at, message, location), oldest first, 5 to 12 of them."""
    n = rng.randint(5, 12)
    tail = {"delivered": ["out_for_delivery", "delivered"], "out_for_delivery": ["out_for_delivery"],
            "exception": ["exception"]}.get(outcome, [])
    statuses = ["info_received"] + ["in_transit"] * (n - 1 - len(tail)) + tail
    if outcome == "info_received":
        statuses = ["info_received"] * n  # label re-scanned: distinct times keep them unique
    at = shipped
    out = []
    for status in statuses:
        at += timedelta(minutes=rng.randint(25, 9 * 60))
        message = {"info_received": "Shipment information received", "out_for_delivery": "Out for delivery",
                   "delivered": "Delivered, front door", "exception": "Address incomplete: delivery on hold"}.get(
            status) or rng.choice(_TRANSIT_MESSAGES)
        out.append((status, at, message, rng.choice(_PLACES)))
    return out


def seed(app: Flask) -> Seeded:
    """2,000 orders with line items, 1-2 shipments and 5-12 events each, by bulk Core inserts; 500 page paths."""
    from sqlalchemy import insert, select

    from app.extensions import db
    from app.models import LineItem, Order, Shipment, Shop, TrackingEvent
    from app.services.links import tracking_token

    started = time.monotonic()
    rng = random.Random(SEED)
    now = datetime.now(UTC)
    order_rows: list[dict[str, Any]] = []
    items_of: list[list[dict[str, Any]]] = []
    shipments_of: list[list[tuple[dict[str, Any], list[tuple[str, datetime, str, str]]]]] = []
    outcomes, weights = zip(*_OUTCOMES, strict=True)
    for i in range(N_ORDERS):
        outcome = rng.choices(outcomes, weights)[0]
        age = timedelta(days=rng.uniform(8, 40)) if outcome == "delivered" else timedelta(days=rng.uniform(1, 4))
        if outcome == "in_transit_late":
            age += timedelta(days=8)
        placed = now - age
        locale = rng.choice(["es", "es-ES", "es-MX", "en", "en-US"])
        first = rng.choice(["Lucía", "Sam", "Mateo", "Ana", "Chris", "Marta"])
        items = []
        for k, (p, (title, variant, price)) in enumerate(rng.sample(list(enumerate(_PRODUCTS)), rng.randint(1, 4))):
            items.append(dict(external_id=f"{i}-{k}", title=title, variant_title=variant, sku=f"SKU-{p}",
                              quantity=rng.randint(1, 3), price_amount=price, product_id=str(7000 + p),
                              variant_id=str(87000 + p)))
        total = sum((it["price_amount"] * it["quantity"] for it in items), Decimal("4.95"))
        shipments = []
        for k in range(1 if rng.random() < 0.7 else 2):
            shipped = placed + timedelta(hours=rng.uniform(2, 30))
            events = _events(rng, outcome.removesuffix("_late"), shipped)
            carrier, code, url = rng.choice(_CARRIERS)
            number = f"1Z{rng.randrange(10**15, 10**16)}"
            status = events[-1][0]
            last_at = events[-1][1]
            row = dict(
                external_id=f"f{i}-{k}", carrier=carrier, carrier_code=code, tracking_number=number,
                tracking_url=url.format(n=number), status=status, status_at=last_at,
                items=[{"line_item_id": it["external_id"], "quantity": it["quantity"]} for it in items],
                cancelled=False, platform_updated_at=last_at, service="Standard", destination="ES-M",
                shipped_at=shipped, last_event_at=last_at,
                delivered_at=last_at if status == "delivered" else None,
                eta_start=None, eta_end=None, eta_source=None, eta_basis=None, delay_reason=None, delayed_at=None,
                exception_reason="Address incomplete" if status == "exception" else None,
            )
            if status != "delivered":
                row.update(eta_start=shipped + timedelta(days=2), eta_end=shipped + timedelta(days=5),
                           eta_source="history", eta_basis=f"{carrier} Standard to ES-M: 80% in 2-5 days (n=214)")
            if outcome == "in_transit_late":
                row.update(delay_reason="late", delayed_at=now - timedelta(days=1))
            elif status == "exception":
                row.update(delay_reason="exception", delayed_at=last_at)
            shipments.append((row, events))
        order_rows.append(dict(
            external_id=str(800_000_000 + i), number=f"#{5000 + i}", email=f"shopper{i}@example.com",
            customer_name=f"{first} Bench{i}", locale=locale, currency="EUR", total_amount=total,
            shipping_address={"name": f"{first} Bench{i}", "line1": "Calle Mayor 1", "city": "Madrid",
                              "postal_code": "28013", "country_code": "ES"},
            financial_status="paid", fulfillment_status="fulfilled" if outcome == "delivered" else "partial",
            placed_at=placed, platform_updated_at=max(ev[1] for _, evs in shipments for ev in evs),
        ))
        items_of.append(items)
        shipments_of.append(shipments)

    with app.app_context():
        with db.engine.begin() as conn:
            shop_id = conn.scalar(select(Shop.id).where(Shop.domain == SHOP_DOMAIN))
            for row in order_rows:
                row["shop_id"] = shop_id
            order_ids = list(conn.scalars(
                insert(Order.__table__).returning(Order.__table__.c.id, sort_by_parameter_order=True), order_rows))
            item_rows = [dict(it, order_id=oid) for oid, items in zip(order_ids, items_of, strict=True)
                         for it in items]
            conn.execute(insert(LineItem.__table__), item_rows)
            ship_rows = [dict(row, order_id=oid) for oid, ships in zip(order_ids, shipments_of, strict=True)
                         for row, _ in ships]
            ship_ids = list(conn.scalars(
                insert(Shipment.__table__).returning(Shipment.__table__.c.id, sort_by_parameter_order=True),
                ship_rows))
            all_events = [evs for ships in shipments_of for _, evs in ships]
            event_rows = [dict(shipment_id=sid, status=st, occurred_at=at, message=msg, location=loc,
                               raw_status=st.upper())
                          for sid, evs in zip(ship_ids, all_events, strict=True) for st, at, msg, loc in evs]
            conn.execute(insert(TrackingEvent.__table__), event_rows)
        picked = rng.sample(range(N_ORDERS), N_PAGES)
        paths = [f"/t/{tracking_token(order_ids[i])}" for i in picked]
        db.engine.dispose()
    _vacuum_analyze()
    return Seeded(orders=len(order_rows), line_items=len(item_rows), shipments=len(ship_rows),
                  events=len(event_rows), paths=paths,
                  shipments_of={p: len(shipments_of[i]) for p, i in zip(paths, picked, strict=True)},
                  seconds=time.monotonic() - started)


def _vacuum_analyze() -> None:
    """Fresh planner statistics, as a database that has been running a while would have."""
    import psycopg

    with psycopg.connect(DATABASE_URL, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")


# --- in-process probe ----------------------------------------------------------------------------------------

def probe(app: Flask, seeded: Seeded) -> Probe:
    """Fetch every page twice through the test client: each must be 200; count its SQL and time it."""
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    from app.extensions import db
    from app.services import engagement, page_cache

    statements: list[str] = []
    commits = [0]

    def on_execute(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement.lstrip().split(None, 1)[0].upper())

    def on_commit(conn: Any) -> None:
        commits[0] += 1

    per_shipments: dict[int, list[int]] = {}
    kinds: Counter[str] = Counter()
    sizes: list[int] = []
    times: list[float] = []
    bad: list[tuple[str, int]] = []
    cached_times: list[float] = []
    same = True
    # Every engine: the pages are rendered through the cache's own autocommit pool on PostgreSQL.
    event.listen(Engine, "before_cursor_execute", on_execute)
    event.listen(Engine, "commit", on_commit)
    try:
        client = app.test_client()
        client.get(seeded.paths[0])  # compile the templates, open the pools
        cache = page_cache.for_app(app)
        cache.clear()
        stats_before = dataclasses.replace(cache.stats)
        statements.clear()
        commits[0] = 0
        rendered: dict[str, bytes] = {}
        for path in seeded.paths:
            before = len(statements)
            t0 = time.perf_counter()
            resp = client.get(path)
            times.append((time.perf_counter() - t0) * 1000)
            if resp.status_code != 200:
                bad.append((path, resp.status_code))
            sizes.append(len(resp.data))
            rendered[path] = resp.data
            per_shipments.setdefault(seeded.shipments_of[path], []).append(len(statements) - before)
        kinds.update(statements)
        before = len(statements)
        for path in seeded.paths:
            t0 = time.perf_counter()
            resp = client.get(path)
            cached_times.append((time.perf_counter() - t0) * 1000)
            same = same and resp.status_code == 200 and resp.data == rendered[path]
        cached_statements = len(statements) - before
        hits = cache.stats.hits - stats_before.hits
        reads = sum(getattr(cache.stats, f) - getattr(stats_before, f) for f in ("hits", "shared_hits", "misses"))
        engagement.flush_page_views(app)
    finally:
        event.remove(Engine, "before_cursor_execute", on_execute)
        event.remove(Engine, "commit", on_commit)
        with app.app_context():
            db.engine.dispose()
    n = len(seeded.paths)
    times.sort()
    cached_times.sort()
    return Probe(
        pages=n, not_200=bad, mean_bytes=statistics.fmean(sizes), p50_ms=times[n // 2],
        p95_ms=times[min(n - 1, int(n * 0.95))],
        statements={k: statistics.fmean(v) for k, v in sorted(per_shipments.items())},
        kinds={k: v / n for k, v in kinds.most_common()}, commits=commits[0] / n,
        cached_p50_ms=cached_times[n // 2], cached_p95_ms=cached_times[min(n - 1, int(n * 0.95))],
        cached_statements=cached_statements / n, version_reads=reads / (2 * n), cache_hits=hits, same_html=same,
        views_stored=scalar("SELECT count(*) FROM engagement WHERE kind = 'page_view'"),
    )


# --- wrk -------------------------------------------------------------------------------------------------------

def parse_wrk(output: str) -> WrkRun:
    line = re.search(r"^PVBENCH (.*)$", output, re.MULTILINE)
    rps = re.search(r"^Requests/sec:\s*([\d.]+)", output, re.MULTILINE)
    if line is None or rps is None:
        raise ValueError(f"wrk output has no PVBENCH or Requests/sec line:\n{output}")
    f = {k: float(v) for k, v in (kv.split("=", 1) for kv in line[1].split())}
    errors = re.search(r"Socket errors:\s*(.+)$", output, re.MULTILINE)
    requests = int(f["requests"])
    return WrkRun(
        requests=requests, rps=float(rps[1]), p50_ms=f["p50_us"] / 1000, p75_ms=f["p75_us"] / 1000,
        p90_ms=f["p90_us"] / 1000, p95_ms=f["p95_us"] / 1000, p99_ms=f["p99_us"] / 1000, max_ms=f["max_us"] / 1000,
        not_200=int(f["not_200"]), timeouts=int(f["timeouts"]),
        bytes_per_response=f["bytes"] / requests if requests else 0.0,
        socket_errors=errors[1].strip() if errors else "none",
    )


def run_wrk(wrk: str, port: int, seconds: int, paths_file: Path) -> WrkRun:
    args = [wrk, "-t", str(WRK_THREADS), "-c", str(CONNECTIONS), "-d", f"{seconds}s", "--latency", "--timeout", "5s",
            "-s", str(LUA), f"http://{HOST}:{port}", "--", str(paths_file)]
    proc = subprocess.run(args, capture_output=True, text=True, timeout=seconds + 30)
    if proc.returncode != 0:
        raise RuntimeError(f"wrk exited {proc.returncode}: {proc.stderr}{proc.stdout}")
    return parse_wrk(proc.stdout)


def wait_for_workers(port: int, paths_file: Path, timeout: float = 60) -> None:
    """The master listens before its workers have imported the app: the warm-up starts once pages are served."""
    import urllib.error
    import urllib.request

    path = paths_file.read_text().split()[0]
    deadline = time.monotonic() + timeout
    answered = 0
    while answered < 2 * WORKERS:  # a few answers: every worker has booted (the socket is shared, not balanced)
        try:
            with urllib.request.urlopen(f"http://{HOST}:{port}{path}", timeout=5) as resp:
                answered += resp.status == 200
        except (urllib.error.URLError, OSError):
            if time.monotonic() > deadline:
                raise RuntimeError(f"no page served on port {port} after {timeout:.0f} s") from None
            time.sleep(0.1)
    time.sleep(0.5)


@dataclass(frozen=True)
class Served:
    run: WrkRun
    responses: int  # warm-up included
    views_stored: int  # page views the app wrote, counted once gunicorn had stopped
    pages_rendered: int  # pages rendered and shared through Redis by the workers (each at least once)
    rendered_in_warmup: int  # of which before the measured run began


def serve_and_measure(wrk: str, target: str, settings: list[str], env: dict[str, str], log: Path,
                      paths_file: Path) -> Served:
    """Start gunicorn (no page cached anywhere), warm it up, measure; gunicorn is gone when this returns."""
    flush_redis()
    views_before = scalar("SELECT count(*) FROM engagement WHERE kind = 'page_view'")
    port = free_port()
    with child(gunicorn_args(target, port, settings), env, log) as proc:
        wait_for_port(port, proc)
        wait_for_workers(port, paths_file)
        warm = run_wrk(wrk, port, WARMUP_SECONDS, paths_file)
        time.sleep(0.3)
        warmed = _pages_in_redis()
        run = run_wrk(wrk, port, RUN_SECONDS, paths_file)
    # gunicorn stopped as a deployment stops it (SIGTERM): what its workers had pending is written by now.
    return Served(run, warm.requests + run.requests,
                  scalar("SELECT count(*) FROM engagement WHERE kind = 'page_view'") - views_before,
                  _pages_in_redis(), warmed)


def _pages_in_redis() -> int:
    import redis

    return sum(1 for _ in redis.Redis.from_url(REDIS_URL).scan_iter(match="postventa:page:*"))


def _show_logs(tmp: Path) -> None:
    for log in sorted(tmp.glob("gunicorn-*.log")):
        print(f"  --- {log.name}\n{log.read_text(errors='replace')[-2000:]}")


def run() -> TrackingSummary | None:
    """Seed, check every page in-process, then each gunicorn setting for the app and the better one for the baseline."""
    print(f"== tracking page: GET /t/<token> ({N_PAGES} different orders) ==")
    wrk = shutil.which("wrk")
    if wrk is None:
        print("wrk is not installed; install it with:  apt-get update && apt-get install -y wrk")
        print("tracking page: SKIPPED")
        return None
    with tempfile.TemporaryDirectory(prefix="pvbench-tracking-") as tmpdir:
        tmp = Path(tmpdir)
        env = app_env(tmp / "instance")
        fresh_database()
        flush_redis()
        migrate_and_create_shop(env)
        app = bench_app(env)
        seeded = seed(app)
        print(f"seeded {seeded.orders} orders, {seeded.line_items} line items, {seeded.shipments} shipments, "
              f"{seeded.events} tracking events in {seeded.seconds:.1f} s")
        pr = probe(app, seeded)
        spq = ", ".join(f"{v:.1f} with {k} shipment{'s' if k > 1 else ''}" for k, v in pr.statements.items())
        kinds = ", ".join(f"{k} {v:.1f}" for k, v in pr.kinds.items())
        print(f"in-process, one at a time: {pr.pages} pages, {pr.pages - len(pr.not_200)} rendered 200, "
              f"mean {pr.mean_bytes / 1024:.1f} KB, p50 {pr.p50_ms:.1f} ms, p95 {pr.p95_ms:.1f} ms")
        print(f"SQL statements per rendered page: {spq} ({kinds}; commits {pr.commits:.1f}) "
              f"+ 1 version read")
        print(f"the same pages again, from the cache: {pr.cache_hits} of {pr.pages} hits, "
              f"p50 {pr.cached_p50_ms:.2f} ms, p95 {pr.cached_p95_ms:.2f} ms, "
              f"SQL statements per page {pr.cached_statements:.1f} "
              f"+ {pr.version_reads:.1f} version read; identical HTML: {'yes' if pr.same_html else 'NO'}; "
              f"page views stored {pr.views_stored} of {2 * pr.pages}")
        for path, status in pr.not_200[:5]:
            print(f"  {status} for {path}")
        paths_file = tmp / "paths.txt"
        paths_file.write_text("\n".join(seeded.paths) + "\n")
        print(f"gunicorn {WORKERS} workers; wrk {WRK_THREADS} threads, {CONNECTIONS} connections, "
              f"{WARMUP_SECONDS}s warm-up + {RUN_SECONDS}s, cycling through {N_PAGES} pages; each server starts "
              "with no page cached (Redis flushed)")
        served: dict[str, Served] = {}
        for name, settings in CONFIGS.items():
            tag = re.sub(r"\W+", "-", name)
            try:
                served[name] = serve_and_measure(wrk, "wsgi:app", settings, env,
                                                 tmp / f"gunicorn-app-{tag}.log", paths_file)
            except (RuntimeError, ValueError, subprocess.TimeoutExpired) as exc:
                print(f"  {name}: failed: {exc}")
                _show_logs(tmp)
                continue
            done = served[name]
            print(f"  {name:<11} app  {done.run.brief()}", flush=True)
            print(f"  {'':<11}      pages rendered {done.pages_rendered} ({done.rendered_in_warmup} during the "
                  f"warm-up); page views stored {done.views_stored} for {done.responses} responses (warm-up "
                  "included)", flush=True)
        if not served:
            print("tracking page: no configuration completed")
            return None
        runs = {name: done.run for name, done in served.items()}
        best = min(runs, key=lambda name: runs[name].p95_ms)
        tag = re.sub(r"\W+", "-", best)
        baseline: WrkRun | None = None
        try:
            baseline = serve_and_measure(wrk, "bench.bare_app:app", CONFIGS[best], env,
                                         tmp / f"gunicorn-bare-{tag}.log", paths_file).run
            print(f"  {best:<11} bare {baseline.brief()}", flush=True)
        except (RuntimeError, ValueError, subprocess.TimeoutExpired) as exc:
            print(f"  {best} baseline: failed: {exc}")
            _show_logs(tmp)
    a = runs[best]
    not_200 = a.not_200 + len(pr.not_200)
    lost = {name: done.responses - done.views_stored for name, done in served.items()
            if done.views_stored < done.responses}
    lines = [
        f"better configuration (lower p95): {best}",
        f"app req/s: {a.rps:.1f} (p50 {a.p50_ms:.1f} ms, p95 {a.p95_ms:.1f} ms, p99 {a.p99_ms:.1f} ms, "
        f"{a.bytes_per_response / 1024:.1f} KB/response)",
    ]
    if baseline is not None:
        ratio = a.rps / baseline.rps if baseline.rps else 0.0
        lines += [
            f"baseline (bare Flask) req/s: {baseline.rps:.1f} (p50 {baseline.p50_ms:.1f} ms, "
            f"p95 {baseline.p95_ms:.1f} ms, p99 {baseline.p99_ms:.1f} ms, "
            f"{baseline.bytes_per_response / 1024:.1f} KB/response)",
            f"ratio app/bare: {ratio:.2f}",
        ]
    else:
        lines.append("baseline (bare Flask): failed (see above)")
    lines += [
        Verdict(f"p95 at {CONNECTIONS} connections", a.p95_ms, P95_TARGET_MS, higher_is_better=False).line(
            " ms", ".1f"),
        f"non-200 responses: {not_200} " + ("OK" if not_200 == 0 else
                                            f"(expected 0: {a.not_200} under wrk, {len(pr.not_200)} in-process)"),
        "page views: every response counted, written after gunicorn's stop "
        + ("OK" if not lost and pr.views_stored >= 2 * pr.pages else f"FAIL (missing: {lost or 'in-process'})"),
        f"in-process, one page at a time: rendered p50 {pr.p50_ms:.1f} ms, p95 {pr.p95_ms:.1f} ms "
        f"(SQL statements per page: {spq}; {kinds}; commits {pr.commits:.1f}); from the cache "
        f"p50 {pr.cached_p50_ms:.2f} ms, p95 {pr.cached_p95_ms:.2f} ms (1 version read, "
        f"{pr.cached_statements:.1f} other statements)",
        f"note: server time = wrk latency on loopback, queueing for the {WORKERS} workers included "
        f"(wrk, gunicorn and PostgreSQL share this machine's {os.cpu_count()} CPUs); mean latency = "
        f"connections / req/s, so {CONNECTIONS} connections at {P95_TARGET_MS:.0f} ms take "
        f">= {CONNECTIONS / P95_TARGET_MS * 1000:.0f} req/s; {N_PAGES} pages cycled: after the first render of "
        "each page (shared by the workers through Redis) views come from the cache",
    ]
    for line in lines:
        print(line)
    return TrackingSummary(best, a, baseline, lines)


def main() -> int:
    return report_main("tracking page", run)


if __name__ == "__main__":
    sys.exit(main())
