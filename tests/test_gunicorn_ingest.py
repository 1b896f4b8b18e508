"""POST /webhooks/shopify over real HTTP (gunicorn, `flask run`): how the body arrives must not change the answer."""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from app.models import WebhookEvent
from connectors.shopify import sign_webhook
from tests.conftest import FIXTURES, free_port

ROOT = Path(__file__).resolve().parent.parent
BODY = (FIXTURES / "shopify" / "orders_create.json").read_bytes()


@pytest.fixture
def gunicorn(app: Flask, shop: Any, db: Any) -> Iterator[int]:
    """`gunicorn wsgi:app` (threaded workers) on a loopback port, on the same database as the test app."""
    port = free_port()
    env = {
        **os.environ,
        "POSTVENTA_INSTANCE": app.instance_path,
        "SECRET_KEY": app.config["SECRET_KEY"],
        "ENCRYPTION_KEY": app.config["ENCRYPTION_KEY"],
        "SHOPIFY_API_SECRET": app.config["SHOPIFY_API_SECRET"],
    }
    db.session.commit()  # the shop must be visible to the server's own connections
    proc = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", "1", "--worker-class",
         "gthread", "--threads", "4", "--log-level", "warning", "wsgi:app"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, proc.communicate()[0].decode()
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    break
            except OSError:
                assert time.monotonic() < deadline, "gunicorn never listened"
                time.sleep(0.1)
        yield port
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.communicate(timeout=30)


def headers(body: bytes, event_id: str, app: Flask) -> dict[str, str]:
    return {
        "X-Shopify-Topic": "orders/create",
        "X-Shopify-Shop-Domain": "tienda-test.myshopify.com",
        "X-Shopify-Event-Id": event_id,
        "X-Shopify-Hmac-Sha256": sign_webhook(body, app.config["SHOPIFY_API_SECRET"]),
        "Content-Type": "application/json",
    }


def post(port: int, body: bytes | Iterator[bytes], head: dict[str, str], chunked: bool = False) -> tuple[int, Any]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("POST", "/webhooks/shopify", body=body, headers=head, encode_chunked=chunked)
        resp = conn.getresponse()
        return resp.status, json.loads(resp.read())
    finally:
        conn.close()


def stored_ids(db: Any) -> set[str]:
    db.session.expire_all()
    return set(db.session.scalars(select(WebhookEvent.event_id)))


def test_declared_and_chunked_bodies_are_stored_once(app: Flask, db: Any, gunicorn: int) -> None:
    assert post(gunicorn, BODY, headers(BODY, "len-1", app)) == (200, {"status": "stored"})
    assert post(gunicorn, BODY, headers(BODY, "len-1", app)) == (200, {"status": "duplicate"})
    pieces = iter([BODY[:5000], BODY[5000:9000], BODY[9000:]])
    assert post(gunicorn, pieces, headers(BODY, "chunk-1", app), chunked=True) == (200, {"status": "stored"})
    assert stored_ids(db) == {"len-1", "chunk-1"}


def test_bad_bodies_are_refused_under_gunicorn(app: Flask, db: Any, gunicorn: int) -> None:
    big = json.dumps({"id": 1, "note": "x" * (1024 * 1024)}).encode()
    status, answer = post(gunicorn, big, headers(big, "big", app))
    assert status == 413 and "1 MiB" in answer["error"]
    status, answer = post(gunicorn, iter([big[:600_000], big[600_000:]]), headers(big, "big-chunked", app),
                          chunked=True)
    assert status == 413 and "1 MiB" in answer["error"]
    bad = b'{"id": 1,'
    status, answer = post(gunicorn, bad, headers(bad, "bad", app))
    assert status == 400 and "JSON" in answer["error"]
    deep = b'{"a": ' + b"[" * 50_000 + b"]" * 50_000 + b"}"
    status, answer = post(gunicorn, deep, headers(deep, "deep", app))
    assert status == 400 and "JSON" in answer["error"]
    short = headers(BODY, "short", app)  # declares more than it sends, then hangs up: never a stored half
    with socket.create_connection(("127.0.0.1", gunicorn), timeout=30) as raw:
        head = "".join(f"{k}: {v}\r\n" for k, v in short.items())
        raw.sendall(f"POST /webhooks/shopify HTTP/1.1\r\nHost: x\r\n{head}Content-Length: {len(BODY)}\r\n\r\n"
                    .encode() + BODY[:4000])
        raw.shutdown(socket.SHUT_WR)
        reply = raw.recv(65536)
    assert reply.startswith(b"HTTP/1.1 4"), reply[:200]
    assert stored_ids(db) == set()


def test_chunked_body_through_the_development_server(app: Flask, db: Any, shop: Any, server: str) -> None:
    """`flask run` (werkzeug) hands chunked bodies over in pieces: they must arrive whole."""
    db.session.commit()
    port = int(server.rsplit(":", 1)[1])
    pieces = iter([BODY[i:i + 1000] for i in range(0, len(BODY), 1000)])
    assert post(port, pieces, headers(BODY, "dev-chunked", app), chunked=True) == (200, {"status": "stored"})
    assert post(port, BODY, headers(BODY, "dev-len", app)) == (200, {"status": "stored"})
    assert stored_ids(db) == {"dev-chunked", "dev-len"}
