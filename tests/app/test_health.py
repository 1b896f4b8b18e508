"""Operator endpoints answer from the real database and Redis."""

from __future__ import annotations

from typing import Any

from tests.conftest import load_fixture


def test_healthz_reports_database_and_redis(client: Any) -> None:
    resp = client.get("/healthz")
    assert resp.status_code == 200
    assert resp.get_json() == {"status": "ok", "checks": {"database": "ok", "redis": "ok"}}


def test_metrics_count_events_by_status(client: Any, shop: Any, post_shopify: Any) -> None:
    post_shopify("orders/create", load_fixture("shopify", "orders_create.json"), "e1")
    body = client.get("/metrics").get_data(as_text=True)
    assert 'postventa_webhook_events{status="pending"} 1' in body
    assert "postventa_queue_length 0" in body


def test_unknown_page_is_a_404_page_not_a_traceback(client: Any) -> None:
    resp = client.get("/nope", headers={"Accept": "text/html"})
    assert resp.status_code == 404
    assert "Traceback" not in resp.get_data(as_text=True)
