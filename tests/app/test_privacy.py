"""Mandatory privacy webhooks and the uninstall: what is erased, what is kept, what is produced."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from app.models import DataRequest, LocalMail, Message, Order, Shipment, Shop, WebhookEvent
from app.services.delivery import send_messages
from app.services.ingest import claim_pending, process_events
from app.services.shops import create_shop
from tests.conftest import load_fixture

EMAIL = "lucia.martin@example.com"


def run_pending() -> None:
    while ids := claim_pending(100):
        process_events(ids)


def story(post_shopify: Any) -> None:
    post_shopify("orders/create", load_fixture("shopify", "orders_create.json"), "e1")
    post_shopify("fulfillments/create", load_fixture("shopify", "fulfillments_create.json"), "e2")
    post_shopify("orders/create", load_fixture("shopify", "orders_multiple_fulfillments.json"), "e3")
    run_pending()


def test_data_request_gathers_the_customers_data_for_the_merchant(db: Any, shop: Any, post_shopify: Any) -> None:
    story(post_shopify)
    resp = post_shopify("customers/data_request", load_fixture("shopify", "customers_data_request.json"), "d1")
    assert resp.status_code == 200
    run_pending()
    request = db.session.scalar(select(DataRequest))
    assert (request.shop_id, request.request_external_id, request.customer_email) == (shop.id, "9182736450", EMAIL)
    (order,) = request.export["orders"]
    assert order["number"] == "#1001" and order["email"] == EMAIL
    assert order["shipments"][0]["tracking_number"] == "PQ4F6P0703673180128000P"
    assert [e["kind"] for e in order["emails"]] == ["shipped"]


def test_customer_redact_erases_personal_data_and_keeps_aggregates(db: Any, shop: Any, post_shopify: Any) -> None:
    story(post_shopify)
    message = db.session.scalar(select(Message).join(Order).where(Order.number == "#1001"))
    send_messages([message.id])  # lands in the local outbox
    assert db.session.scalar(select(func.count()).select_from(LocalMail)) == 1
    post_shopify("customers/redact", load_fixture("shopify", "customers_redact.json"), "r1")
    run_pending()
    db.session.expire_all()
    order = db.session.scalar(select(Order).where(Order.number == "#1001"))
    assert (order.email, order.customer_name, order.shipping_address) == (None, None, None)
    assert order.total_amount > 0 and order.line_items and order.shipments  # anonymous aggregates stay
    assert db.session.get(Message, message.id).recipient is None
    assert db.session.scalar(select(func.count()).select_from(LocalMail)) == 0
    payloads = [e.payload for e in db.session.scalars(select(WebhookEvent))]
    assert not any(EMAIL in p for p in payloads)
    other = db.session.scalar(select(Order).where(Order.number == "#1042"))
    assert other.email == "jordan.ellis@example.com"  # someone else's order is untouched


def test_uninstall_stops_work_and_keeps_data_until_shop_redact(db: Any, shop: Any, post_shopify: Any) -> None:
    post_shopify("orders/create", load_fixture("shopify", "orders_create.json"), "e1")
    post_shopify("fulfillments/create", load_fixture("shopify", "fulfillments_create.json"), "e2")
    run_pending()
    shop.access_token_enc = "encrypted-token"
    db.session.commit()
    post_shopify("app/uninstalled", load_fixture("shopify", "app_uninstalled.json"), "u1")
    run_pending()
    db.session.expire_all()
    shop_row = db.session.get(Shop, shop.id)
    assert shop_row.uninstalled_at is not None and shop_row.access_token_enc is None
    assert {m.status for m in db.session.scalars(select(Message))} == {"cancelled"}
    # Late news for the uninstalled shop: stored, not acted on.
    post_shopify("fulfillments/update", load_fixture("shopify", "fulfillments_update.json"), "e3")
    run_pending()
    assert db.session.scalar(select(func.count()).select_from(Message)) == 1
    assert db.session.scalar(select(Shipment)).status != "delivered"
    assert db.session.scalar(select(func.count()).select_from(Order)) == 1  # data kept until shop/redact


def test_shop_redact_erases_the_shop_and_nothing_else(db: Any, shop: Any, post_shopify: Any) -> None:
    story(post_shopify)
    other = create_shop("shopify", "otra-tienda.myshopify.com").shop
    post_shopify("orders/create", load_fixture("shopify", "orders_create.json"), "o1",
                 domain="otra-tienda.myshopify.com")
    run_pending()
    post_shopify("shop/redact", load_fixture("shopify", "shop_redact.json"), "s1")
    run_pending()
    db.session.expire_all()
    assert db.session.get(Shop, shop.id) is None
    assert [o.shop_id for o in db.session.scalars(select(Order))] == [other.id]
    assert {e.shop_id for e in db.session.scalars(select(WebhookEvent))} == {other.id}
    assert db.session.scalar(select(func.count()).select_from(Message).where(Message.shop_id == shop.id)) == 0


def test_privacy_webhook_without_an_event_id_is_still_taken_once(db: Any, shop: Any, client: Any, app: Any) -> None:
    import json

    from connectors.shopify import sign_webhook

    body = json.dumps(load_fixture("shopify", "customers_redact.json")).encode()
    headers = {"X-Shopify-Topic": "customers/redact", "X-Shopify-Shop-Domain": "tienda-test.myshopify.com",
               "X-Shopify-Hmac-Sha256": sign_webhook(body, app.config["SHOPIFY_API_SECRET"])}
    assert client.post("/webhooks/shopify", data=body, headers=headers).get_json() == {"status": "stored"}
    assert client.post("/webhooks/shopify", data=body, headers=headers).get_json() == {"status": "duplicate"}
    bad = {**headers, "X-Shopify-Hmac-Sha256": sign_webhook(body, "wrong")}
    assert client.post("/webhooks/shopify", data=body, headers=bad).status_code == 401


def test_malformed_privacy_payload_is_kept_as_failed(db: Any, shop: Any, post_shopify: Any) -> None:
    post_shopify("customers/redact", {"shop_domain": "tienda-test.myshopify.com", "customer": "nope"}, "bad")
    run_pending()
    event = db.session.scalar(select(WebhookEvent))
    assert event.status == "failed" and "customer" in event.error


def test_returns_and_refunds_are_exported_and_the_shoppers_words_redacted(db: Any, shop: Any,
                                                                          post_shopify: Any) -> None:
    from app.models import Return

    story(post_shopify)
    post_shopify("returns/request", load_fixture("shopify", "returns_request.json"), "t1")
    post_shopify("refunds/create", load_fixture("shopify", "refunds_create.json"), "f1")
    post_shopify("customers/data_request", load_fixture("shopify", "customers_data_request.json"), "d1")
    run_pending()
    (order,) = db.session.scalar(select(DataRequest)).export["orders"]
    assert order["refunds"] == [{"amount": "29.9500", "currency": "EUR", "at": "2026-11-12T15:20:41+00:00"}]
    assert order["returns"][0]["lines"][0]["note"] == "Me queda pequeña, ¿puedo cambiarla por una L?"
    post_shopify("customers/redact", load_fixture("shopify", "customers_redact.json"), "r1")
    run_pending()
    db.session.expire_all()
    (line,) = db.session.scalar(select(Return)).lines
    assert line == {"line_item_id": "15678901234567891", "quantity": 1, "reason": "size_too_small", "note": None}
