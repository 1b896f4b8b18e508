"""Rendered tracking pages, kept in each worker's memory and served only while SQL says nothing shown changed.

A page is stored under (order id, language, App Proxy prefix) with the versions it was rendered from: the
order's and the shop's `page_version` (app/services/page_versions.py replaces them in the same transaction as
any change they cover) and the store's best sellers as the recommendations cache had them. Every request reads
both versions with one primary-key query, so a change committed by any process on any machine is seen by the
next request; the page is served only if all three still match. Versions are read before the data a miss
renders, so a page can be stored with versions older than its content (re-rendered once more) but never newer.

With REDIS_URL set (several workers, several machines) a page rendered by one worker is also kept in Redis
under a key that holds its versions, so the other workers take it from there instead of rendering it again;
Redis losing it, or being down, only costs a render.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import redis
from flask import Flask, current_app
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from app.extensions import db
from app.services import recommendations
from app.services.links import order_id_from_token

log = logging.getLogger(__name__)

MAX_PAGES = 4096  # ~6 KB each: about 25 MB per worker process at most
MAX_TOKENS = 50_000
SHARED_SECONDS = 24 * 3600  # how long Redis keeps a page nobody asked for again
SHARED_TIMEOUT = 0.25  # a slow Redis must not hold a page back: render it instead
SHARED_PAUSE = 10.0  # after a Redis failure, this long without asking it

_HEAD_SQL = ("SELECT o.shop_id, o.locale, o.page_version, s.page_version FROM orders o "
             "JOIN shops s ON s.id = o.shop_id WHERE o.id = {}")
_PLACEHOLDERS = {"qmark": "?", "format": "%s", "pyformat": "%s", "named": ":id", "numeric": ":1"}

_reader_lock = threading.Lock()

Key = tuple[int, str, str | None]  # order id, language, App Proxy prefix (None on the app's own domain)


@dataclass(frozen=True, slots=True)
class Head:
    """What one query says about an order: whose it is, its language, and the versions of what its page shows."""

    shop_id: int
    locale: str | None
    versions: tuple[int, int]  # the order's, the shop's


@dataclass(frozen=True, slots=True)
class Page:
    versions: tuple[int, int]
    sellers: list[tuple[str, str]]  # the best sellers the recommendations were picked from
    sellers_limit: int
    html: str


@dataclass
class Stats:
    hits: int = 0  # from this worker's memory
    shared_hits: int = 0  # from Redis, rendered by another worker
    misses: int = 0  # rendered here


class _HeadReader:
    """The head query on its own pool of autocommit connections: one round trip, no ping, BEGIN or ROLLBACK."""

    def __init__(self, url: Any, options: dict[str, Any]) -> None:
        self.pid = os.getpid()
        options = {k: v for k, v in options.items() if k not in ("pool_pre_ping", "isolation_level")}
        self.engine: Engine = create_engine(url, **{**options, "isolation_level": "AUTOCOMMIT",
                                                    "pool_reset_on_return": None})
        placeholder = _PLACEHOLDERS[self.engine.dialect.paramstyle]
        self.sql = _HEAD_SQL.format(placeholder)
        self.named = placeholder in (":id",)

    def read(self, order_id: int) -> tuple[Any, ...] | None:
        params = {"id": order_id} if self.named else (order_id,)
        for attempt in (1, 2):
            conn = self.engine.raw_connection()
            try:
                cursor = conn.info.get("postventa_head_cursor")  # one per connection, for as long as it lives
                if cursor is None:
                    cursor = conn.info["postventa_head_cursor"] = conn.cursor()
                cursor.execute(self.sql, params)
                row = cursor.fetchone()
                return tuple(row) if row is not None else None
            except self.engine.dialect.loaded_dbapi.Error as exc:
                if attempt == 2 or not self.engine.dialect.is_disconnect(exc, conn.dbapi_connection, None):
                    raise
                conn.invalidate()  # the server went away (restart, failover): once more on a new connection
            finally:
                conn.close()
        return None


class PageCache:
    """One per app and process; thread-safe (gthread workers)."""

    def __init__(self, max_pages: int = MAX_PAGES, shared: redis.Redis | None = None) -> None:
        self.max_pages = max_pages
        self.shared = shared if max_pages > 0 else None
        self._shared_paused_until = 0.0
        self.stats = Stats()
        self._pages: OrderedDict[Key, Page] = OrderedDict()
        self._tokens: dict[str, int] = {}
        self._lock = threading.Lock()

    def order_id(self, token: str) -> int | None:
        """The order a signed token names; a good signature is checked once per token, not once per view."""
        found = self._tokens.get(token)
        if found is None:
            found = order_id_from_token(token)
            if found is not None:
                if len(self._tokens) >= MAX_TOKENS:
                    self._tokens.clear()
                self._tokens[token] = found
        return found

    @staticmethod
    def _head_reader() -> _HeadReader | None:
        """The app's, one per process; None on SQLite (a local file or memory: the app's own engine is as cheap)."""
        if db.engine.dialect.name == "sqlite":
            return None
        extensions = current_app.extensions
        reader: _HeadReader | None = extensions.get("postventa_head_reader")
        if reader is None or reader.pid != os.getpid():  # a pool must not cross a fork
            with _reader_lock:
                reader = extensions.get("postventa_head_reader")
                if reader is None or reader.pid != os.getpid():
                    if reader is not None:
                        reader.engine.dispose(close=False)
                    reader = extensions["postventa_head_reader"] = _HeadReader(
                        db.engine.url, current_app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
        return reader

    def head(self, order_id: int) -> Head | None:
        row: Sequence[Any] | None
        reader = self._head_reader()
        if reader is None:
            with db.engine.connect() as conn:
                row = conn.execute(text(_HEAD_SQL.format(":id")), {"id": order_id}).first()
        else:
            row = reader.read(order_id)
        if row is None:
            return None
        return Head(int(row[0]), row[1], (int(row[2]), int(row[3])))

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """A session of its own for rendering a page: nothing in it was loaded before the versions were read.

        On PostgreSQL it uses the head reader's autocommit pool: no ping, BEGIN or ROLLBACK round trips.
        """
        reader = self._head_reader()
        session = Session(bind=reader.engine if reader is not None else db.engine)
        try:
            yield session
        finally:
            session.close()

    def get(self, key: Key, head: Head) -> str | None:
        """The stored page if nothing it shows has changed since it was rendered."""
        with self._lock:
            page = self._pages.get(key)
            if page is not None:
                self._pages.move_to_end(key)
        if page is not None and page.versions == head.versions and self._same_sellers(head, page):
            self.stats.hits += 1
            return page.html
        page = self._shared_get(key, head)
        if page is not None and self._same_sellers(head, page):
            self._remember(key, page)
            self.stats.shared_hits += 1
            return page.html
        return None

    def put(self, key: Key, page: Page) -> None:
        """A page just rendered (a miss)."""
        self.stats.misses += 1
        self._remember(key, page)
        if self._shared_ready():
            assert self.shared is not None
            value = json.dumps({"s": page.sellers, "l": page.sellers_limit, "h": page.html})
            try:
                self.shared.set(self._shared_key(key, page.versions), value, ex=SHARED_SECONDS)
            except redis.RedisError as exc:
                self._shared_failed(exc)

    @staticmethod
    def _same_sellers(head: Head, page: Page) -> bool:
        sellers = recommendations.best_sellers(head.shop_id, page.sellers_limit)
        return sellers is page.sellers or sellers == page.sellers

    def _remember(self, key: Key, page: Page) -> None:
        if self.max_pages <= 0:
            return
        with self._lock:
            self._pages[key] = page
            self._pages.move_to_end(key)
            while len(self._pages) > self.max_pages:
                self._pages.popitem(last=False)

    @staticmethod
    def _shared_key(key: Key, versions: tuple[int, int]) -> str:
        """The versions are part of the key: a page rendered from other versions is never even read."""
        return "postventa:page:" + json.dumps([*key, *versions], separators=(",", ":"))

    def _shared_ready(self) -> bool:
        return self.shared is not None and time.monotonic() >= self._shared_paused_until

    def _shared_failed(self, exc: Exception) -> None:
        log.warning("tracking page cache: Redis failed (%s); rendering without it for %.0f s", exc, SHARED_PAUSE)
        self._shared_paused_until = time.monotonic() + SHARED_PAUSE

    def _shared_get(self, key: Key, head: Head) -> Page | None:
        if not self._shared_ready():
            return None
        assert self.shared is not None
        try:
            raw = self.shared.get(self._shared_key(key, head.versions))
        except redis.RedisError as exc:
            self._shared_failed(exc)
            return None
        if not isinstance(raw, bytes):
            return None
        try:
            data = json.loads(raw)
            return Page(head.versions, [(str(p), str(t)) for p, t in data["s"]], int(data["l"]), str(data["h"]))
        except (ValueError, KeyError, TypeError):  # not what put() wrote: render instead
            return None

    def clear(self) -> None:
        with self._lock:
            self._pages.clear()
            self._tokens.clear()


def for_app(app: Flask | None = None) -> PageCache:
    """This process's cache for the app; off in debug mode, where templates change under a running server."""
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    cache: PageCache | None = app.extensions.get("postventa_page_cache")
    if cache is None:
        size = 0 if app.debug else int(app.config.get("TRACKING_PAGE_CACHE_SIZE", MAX_PAGES))
        url = app.config.get("REDIS_URL")  # the embedded Redis serves one web process: memory is enough there
        shared = redis.Redis.from_url(url, socket_timeout=SHARED_TIMEOUT,
                                      socket_connect_timeout=SHARED_TIMEOUT) if url else None
        cache = app.extensions.setdefault("postventa_page_cache", PageCache(size, shared))
    return cache
