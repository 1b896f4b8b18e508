"""Opens, clicks, page views and lookups: signed links that redirect only where we sent them, counted in SQL."""

from __future__ import annotations

import atexit
import logging
import os
import threading
import time
from datetime import UTC, datetime
from typing import Any

from flask import Flask, current_app
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import distinct, func, insert, select

from app.extensions import db
from app.models import Engagement, Order

log = logging.getLogger(__name__)

_SALT = "postventa.engagement.v1"
KINDS = ("open", "click", "page_view", "lookup", "recommendation")


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=_SALT)


def click_url(message_id: int, target: str) -> str:
    """A link in an email that counts the click, then goes to `target` (and only there: it is signed)."""
    return f"{current_app.config['APP_URL']}/r/{_serializer().dumps({'m': message_id, 'u': target})}"


def page_click_url(shop_id: int, order_id: int, kind: str, target: str) -> str:
    """A link on a shopper page (a recommendation), counted under `kind` before it goes to `target`."""
    token = _serializer().dumps({"s": shop_id, "o": order_id, "k": kind, "u": target})
    return f"{current_app.config['APP_URL']}/r/{token}"


def open_pixel_url(message_id: int) -> str:
    return f"{current_app.config['APP_URL']}/o/{_serializer().dumps({'m': message_id})}.gif"


def read(token: str) -> dict[str, Any] | None:
    """What a signed engagement token holds, or None for anything we did not sign."""
    try:
        data = _serializer().loads(token)
    except BadSignature:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("u", ""), str):
        return None
    return data if isinstance(data.get("m"), int) or isinstance(data.get("s"), int) else None


def record(kind: str, shop_id: int, order_id: int | None = None, message_id: int | None = None) -> None:
    """One row; committed by the caller's request (a failure to count never blocks the shopper)."""
    db.session.add(Engagement(shop_id=shop_id, order_id=order_id, message_id=message_id, kind=kind,
                              created_at=datetime.now(UTC)))


FLUSH_SECONDS = 1.0
_counter_lock = threading.Lock()
MAX_PENDING = 200_000  # views kept while the database cannot take them; the oldest go first beyond this


class ViewCounter:
    """Tracking-page views, written in batches off the request path: one batch a second per worker process.

    A view is kept in memory until a background thread writes it (every FLUSH_SECONDS); a normal exit
    (gunicorn's graceful stop, SIGTERM, the end of a CLI command) writes what is left. A batch the database
    refuses stays queued for the next try. Views of an order deleted meanwhile, or not yet created when the
    view was counted (a reused id), are dropped, as the cascade would have dropped their rows.
    """

    def __init__(self, app: Flask, interval: float | None = None) -> None:
        self.app = app
        self.interval = interval or FLUSH_SECONDS
        self.pid = -1
        self._adopt()
        atexit.register(self._flush_at_exit)

    def _adopt(self) -> None:
        """Fresh state in a new process: what a forked parent had pending is the parent's to write."""
        self.pid = os.getpid()
        self._pending: list[tuple[int, int, datetime]] = []
        self._lock = threading.Lock()
        self._writing = threading.Lock()
        self._thread: threading.Thread | None = None

    def add(self, shop_id: int, order_id: int) -> None:
        if self.pid != os.getpid():
            with _counter_lock:
                if self.pid != os.getpid():
                    self._adopt()
        with self._lock:
            self._pending.append((shop_id, order_id, datetime.now(UTC)))
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="postventa-page-views", daemon=True)
                self._thread.start()

    def pending(self) -> int:
        return len(self._pending) if self.pid == os.getpid() else 0

    def _run(self) -> None:
        while True:
            time.sleep(self.interval)
            if self._pending:
                self.try_flush()

    def try_flush(self) -> int:
        """flush(), for callers that must not fail because of it: a failed batch stays queued."""
        try:
            return self.flush()
        except Exception:  # a database hiccup: logged, and the views are written on the next try
            log.exception("writing %d page views failed; they stay queued", self.pending())
            return 0

    def _flush_at_exit(self) -> None:
        for _ in range(2):  # a second try: a batch refused for an order deleted meanwhile goes through then
            self.try_flush()
            if not self.pending():
                return
        log.error("%d page views could not be written before exit", self.pending())

    def flush(self) -> int:
        """Write every pending view of this process now; how many rows were stored."""
        if self.pid != os.getpid():
            return 0
        with self._writing:
            with self._lock:
                batch, self._pending = self._pending, []
            if not batch:
                return 0
            try:
                with self.app.app_context():
                    return self._write(batch)
            except BaseException:
                with self._lock:
                    self._pending[:0] = batch
                    del self._pending[:-MAX_PENDING]
                raise

    @staticmethod
    def _write(batch: list[tuple[int, int, datetime]]) -> int:
        with db.engine.begin() as conn:
            # An order deleted between this read and the insert fails the batch on its foreign key: it stays
            # queued, and the next try no longer finds that order.
            orders = {row.id: (row.shop_id, row.created_at) for row in conn.execute(
                select(Order.id, Order.shop_id, Order.created_at)
                .where(Order.id.in_({order_id for _, order_id, _ in batch})))}
            rows = [(shop_id, order_id, at) for shop_id, order_id, at in batch
                    if order_id in orders and orders[order_id][0] == shop_id and orders[order_id][1] <= at]
            if rows and conn.dialect.name == "postgresql":  # COPY: one statement, no per-row parse or round trip
                with conn.connection.driver_connection.cursor() as cursor:  # type: ignore[union-attr]
                    with cursor.copy("COPY engagement (shop_id, order_id, kind, created_at) FROM STDIN") as copy:
                        for shop_id, order_id, at in rows:
                            copy.write_row((shop_id, order_id, "page_view", at))
            elif rows:
                conn.execute(insert(Engagement.__table__), [
                    {"shop_id": shop_id, "order_id": order_id, "message_id": None, "kind": "page_view",
                     "created_at": at} for shop_id, order_id, at in rows])
        return len(rows)


def views(app: Flask | None = None) -> ViewCounter:
    """This process's view counter for the app (made on first use)."""
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    counter: ViewCounter | None = app.extensions.get("postventa_page_views")
    if counter is None:
        with _counter_lock:
            counter = app.extensions.get("postventa_page_views")
            if counter is None:
                counter = app.extensions["postventa_page_views"] = ViewCounter(app)
    return counter


def count_page_view(shop_id: int, order_id: int) -> None:
    """A tracking-page view, counted without a write on the shopper's request."""
    views().add(shop_id, order_id)


def flush_page_views(app: Flask | None = None) -> int:
    """Write this process's pending views now (analytics read them, tests, shutdown)."""
    return views(app).flush()


def summary(shop_id: int) -> dict[str, int]:
    """For the merchant: how many shoppers looked by themselves (orders seen on the page) and what emails did."""
    views().try_flush()  # this process's own views; other workers write theirs within FLUSH_SECONDS
    counts = {kind: 0 for kind in KINDS}
    for kind, n in db.session.execute(select(Engagement.kind, func.count()).where(Engagement.shop_id == shop_id)
                                      .group_by(Engagement.kind)):
        counts[str(kind)] = int(n)
    orders_seen = db.session.scalar(
        select(func.count(distinct(Engagement.order_id))).where(
            Engagement.shop_id == shop_id, Engagement.kind.in_(("page_view", "lookup"))))
    opened = db.session.scalar(
        select(func.count(distinct(Engagement.message_id))).where(
            Engagement.shop_id == shop_id, Engagement.kind == "open"))
    return {"email_opens": counts["open"], "emails_opened": int(opened or 0), "email_clicks": counts["click"],
            "tracking_page_views": counts["page_view"], "lookups": counts["lookup"],
            "recommendation_clicks": counts["recommendation"],
            "orders_tracked_by_shoppers": int(orders_seen or 0)}
