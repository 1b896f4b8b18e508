"""POST /webhooks/shopify: verified, stored once, acknowledged fast; bad input changes nothing."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import func, select

from app.models import WebhookEvent
from connectors.shopify import sign_webhook
from tests.conftest import load_fixture


def count_events(db: Any) -> int:
    return int(db.session.scalar(select(func.count()).select_from(WebhookEvent)))


def test_signed_webhook_is_stored_and_acknowledged(db: Any, shop: Any, post_shopify: Any) -> None:
    resp = post_shopify("orders/create", load_fixture("shopify", "orders_create.json"), "evt-1")
    assert resp.status_code == 200
    assert resp.get_json() == {"status": "stored"}
    event = db.session.scalar(select(WebhookEvent))
    assert (event.shop_id, event.event_id, event.topic, event.status) == (shop.id, "evt-1", "orders/create", "pending")
    assert json.loads(event.payload)["id"] == load_fixture("shopify", "orders_create.json")["id"]


def test_same_event_id_is_stored_once(db: Any, shop: Any, post_shopify: Any) -> None:
    payload = load_fixture("shopify", "orders_create.json")
    assert post_shopify("orders/create", payload, "evt-dup").get_json() == {"status": "stored"}
    second = post_shopify("orders/create", payload, "evt-dup")
    assert second.status_code == 200 and second.get_json() == {"status": "duplicate"}
    assert count_events(db) == 1


def test_wrong_signature_is_401_and_stores_nothing(db: Any, shop: Any, post_shopify: Any) -> None:
    resp = post_shopify("orders/create", load_fixture("shopify", "orders_create.json"), "evt-2", secret="not-it")
    assert resp.status_code == 401
    assert "X-Shopify-Hmac-Sha256" in resp.get_json()["error"]
    assert count_events(db) == 0


def test_non_ascii_signature_is_401_not_a_traceback(db: Any, shop: Any, post_shopify: Any) -> None:
    body = json.dumps(load_fixture("shopify", "orders_create.json")).encode()
    resp = post_shopify("orders/create", body, "evt-3", **{"X-Shopify-Hmac-Sha256": "é" * 44})
    assert resp.status_code == 401 and count_events(db) == 0


def test_missing_signature_is_401(db: Any, shop: Any, client: Any) -> None:
    resp = client.post("/webhooks/shopify", data=b"{}", headers={
        "X-Shopify-Topic": "orders/create", "X-Shopify-Shop-Domain": "tienda-test.myshopify.com",
        "X-Shopify-Event-Id": "e"})
    assert resp.status_code == 401
    assert count_events(db) == 0


def test_body_changed_after_signing_is_401(db: Any, shop: Any, client: Any, app: Any) -> None:
    body = json.dumps(load_fixture("shopify", "orders_create.json")).encode()
    signature = sign_webhook(body, app.config["SHOPIFY_API_SECRET"])
    resp = client.post("/webhooks/shopify", data=body.replace(b"#1001", b"#9999"), headers={
        "X-Shopify-Topic": "orders/create", "X-Shopify-Shop-Domain": "tienda-test.myshopify.com",
        "X-Shopify-Event-Id": "e", "X-Shopify-Hmac-Sha256": signature})
    assert resp.status_code == 401
    assert count_events(db) == 0


def test_missing_headers_are_400(db: Any, shop: Any, post_shopify: Any) -> None:
    resp = post_shopify("orders/create", {"id": 1}, "")
    assert resp.status_code == 400
    assert "X-Shopify-Event-Id" in resp.get_json()["error"]
    assert post_shopify("", {"id": 1}, "e1").status_code == 400
    assert post_shopify("orders/create", {"id": 1}, "e2", domain="").status_code == 400
    assert count_events(db) == 0


def test_unknown_topic_is_400(db: Any, shop: Any, post_shopify: Any) -> None:
    resp = post_shopify("products/create", {"id": 1}, "e1")
    assert resp.status_code == 400
    assert "unsupported topic" in resp.get_json()["error"]
    assert count_events(db) == 0


def test_unknown_shop_is_404(db: Any, shop: Any, post_shopify: Any) -> None:
    resp = post_shopify("orders/create", {"id": 1}, "e1", domain="someone-else.myshopify.com")
    assert resp.status_code == 404
    assert "unknown shop" in resp.get_json()["error"]
    assert count_events(db) == 0


def test_malformed_json_is_400(db: Any, shop: Any, post_shopify: Any) -> None:
    for body in (b"{not json", b"[1, 2]", b"\xff\xfe", b""):
        resp = post_shopify("orders/create", body, "e1")
        assert resp.status_code == 400, body
        assert "JSON" in resp.get_json()["error"]
    assert count_events(db) == 0


def test_oversized_body_is_413(db: Any, shop: Any, post_shopify: Any) -> None:
    body = json.dumps({"id": 1, "note": "x" * (1024 * 1024)}).encode()
    resp = post_shopify("orders/create", body, "e1")
    assert resp.status_code == 413
    assert "1 MiB" in resp.get_json()["error"]
    assert count_events(db) == 0


def test_get_is_405_not_a_traceback(client: Any) -> None:
    resp = client.get("/webhooks/shopify")
    assert resp.status_code == 405
    assert "error" in resp.get_json()


def test_concurrent_deliveries_each_stored_once(app: Any, db: Any, shop: Any) -> None:
    """Many requests at once: every new event stored once, duplicates flagged, strangers refused."""
    from concurrent.futures import ThreadPoolExecutor

    body = json.dumps(load_fixture("shopify", "orders_create.json")).encode()
    signature = sign_webhook(body, app.config["SHOPIFY_API_SECRET"])

    def post(event_id: str, domain: str = "tienda-test.myshopify.com") -> tuple[str, int, str]:
        resp = app.test_client().post("/webhooks/shopify", data=body, headers={
            "X-Shopify-Topic": "orders/create", "X-Shopify-Shop-Domain": domain,
            "X-Shopify-Event-Id": event_id, "X-Shopify-Hmac-Sha256": signature})
        return event_id, resp.status_code, resp.get_json().get("status") or resp.get_json().get("error")

    calls = [(f"c{i}",) for i in range(40)] + [("c0",), ("c1",)] + [(f"c{i}", "stranger.myshopify.com") for i in (2, 3)]
    with ThreadPoolExecutor(max_workers=12) as pool:
        results = list(pool.map(lambda args: post(*args), calls))
    assert all(code == 200 for _, code, _ in results[:42])
    assert sorted(status for _, _, status in results[:42]).count("stored") == 40
    assert sorted(status for _, _, status in results[:42]).count("duplicate") == 2
    assert [code for _, code, _ in results[42:]] == [404, 404]
    assert count_events(db) == 40


def test_storage_failure_is_503_not_a_traceback(app: Any, db: Any, shop: Any, post_shopify: Any,
                                                monkeypatch: Any) -> None:
    from sqlalchemy.exc import OperationalError

    import app.blueprints.webhooks as webhooks

    def broken(*args: Any) -> Any:
        raise OperationalError("INSERT", {}, Exception("database is down"))

    monkeypatch.setattr(webhooks, "store_event", broken)
    resp = post_shopify("orders/create", load_fixture("shopify", "orders_create.json"), "e1")
    assert resp.status_code == 503
    assert "retry" in resp.get_json()["error"]
