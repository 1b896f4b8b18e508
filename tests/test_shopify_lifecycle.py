"""A shop's whole life against the local fake Shopify: install, subscribe, backfill, webhooks, uninstall, erase."""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import func, select

from app.models import Backfill, Message, Order, Shop, WebhookEvent
from connectors.shopify.oauth import query_hmac
from tests.conftest import drain, load_fixture
from tests.fake_shopify import SHOP, FakeShopify, graphql_order


def signed(app: Any, **params: str) -> dict[str, str]:
    params.setdefault("timestamp", str(int(time.time())))
    params["hmac"] = query_hmac(list(params.items()), app.config["SHOPIFY_API_SECRET"])
    return params


def count(db: Any, model: Any, *where: Any) -> int:
    return int(db.session.scalar(select(func.count()).select_from(model).where(*where)))


def test_shop_lifecycle(app: Any, db: Any, client: Any, fake_shopify: FakeShopify, post_shopify: Any,
                        smtp: Any) -> None:
    fake_shopify.orders = [graphql_order(i) for i in range(500)]
    # Install: consent, callback, token; the worker then subscribes webhooks and backfills 500 orders.
    location = client.get("/shopify/install", query_string=signed(app, shop=SHOP)).headers["Location"]
    state = location.split("state=")[1].split("&")[0]
    assert client.get("/shopify/callback",
                      query_string=signed(app, shop=SHOP, code="good-code", state=state)).status_code == 200
    drain(app)
    shop_id = db.session.scalar(select(Shop.id).where(Shop.domain == SHOP))
    assert {s["topic"] for s in fake_shopify.subscriptions if s["uri"] == "http://shop.test/webhooks/shopify"} == {
        "ORDERS_CREATE", "ORDERS_UPDATED", "ORDERS_CANCELLED", "FULFILLMENTS_CREATE", "FULFILLMENTS_UPDATE",
        "FULFILLMENT_EVENTS_CREATE", "REFUNDS_CREATE", "RETURNS_REQUEST", "RETURNS_APPROVE", "RETURNS_DECLINE",
        "RETURNS_CANCEL", "RETURNS_CLOSE", "RETURNS_REOPEN", "APP_UNINSTALLED"}
    assert db.session.scalar(select(Backfill)).status == "done"
    assert count(db, Order, Order.shop_id == shop_id) == 500
    assert smtp.messages == []  # history imported silently
    # Live webhooks after the install: a new order ships, its shopper is told once.
    post_shopify("orders/create", load_fixture("shopify", "orders_create.json"), "live-1", domain=SHOP)
    post_shopify("fulfillments/create", load_fixture("shopify", "fulfillments_create.json"), "live-2", domain=SHOP)
    post_shopify("fulfillments/create", load_fixture("shopify", "fulfillments_create.json"), "live-2", domain=SHOP)
    drain(app)
    assert [m["To"] for m in smtp.messages] == ["lucia.martin@example.com"]
    # Uninstall: token gone, nothing more sent; data kept until shop/redact, which erases it all.
    post_shopify("app/uninstalled", load_fixture("shopify", "app_uninstalled.json"), "bye", domain=SHOP)
    drain(app)
    db.session.expire_all()
    assert db.session.get(Shop, shop_id).access_token_enc is None
    assert count(db, Order, Order.shop_id == shop_id) == 501
    post_shopify("shop/redact", load_fixture("shopify", "shop_redact.json"), "erase", domain=SHOP)
    drain(app)
    db.session.expire_all()
    assert db.session.get(Shop, shop_id) is None
    assert count(db, Order) == count(db, Message) == count(db, WebhookEvent) == 0
    assert len(smtp.messages) == 1
