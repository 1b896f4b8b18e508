"""An installed Shopify store (fake Admin API) with order #1001 shipped three days ago: where return tests start."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from app.models import Order, Shop
from app.services import return_requests
from app.services.installs import save_install
from connectors.shopify.oauth import Tokens
from tests.conftest import drain, load_fixture
from tests.fake_shopify import SHOP, FakeShopify

EMAIL = "lucia.martin@example.com"
ORDER_GID = "gid://shopify/Order/6102938475610293847"  # orders_create.json
SHIRT, SHOES = "15678901234567891", "15678901234567893"  # 2 x 29.95 and 1 x 59.00
SHIRT_PRODUCT, SHOES_PRODUCT = 9012345678901234567, 9012345678901234569
ADDRESS = {"name": "Tienda Nueva Devoluciones", "line1": "Calle Mayor 1", "city": "Madrid", "postal_code": "28013",
           "country_code": "ES"}


def line_gid(line_id: str) -> str:
    return f"gid://shopify/LineItem/{line_id}"


def recent(payload: dict[str, Any], days_ago: float) -> dict[str, Any]:
    """A recorded payload moved in time, so the return window is measured from today."""
    when = (datetime.now(UTC) - timedelta(days=days_ago)).isoformat()
    return {**payload, **{k: when for k in ("created_at", "updated_at", "processed_at") if k in payload}}


@dataclass(frozen=True)
class Store:
    shop_id: int
    order_id: int
    fake: FakeShopify

    @property
    def lookup_path(self) -> str:
        return f"/returns/{SHOP}"


@pytest.fixture
def store(app: Flask, db: Any, fake_shopify: FakeShopify, post_shopify: Callable[..., Any]) -> Store:
    """Installed shop (fake Admin API) with order #1001 (customer_locale "es") placed 4 and shipped 3 days ago."""
    fake_shopify.throttle_next = 0
    return_requests.clear_products_cache()  # shop ids are reused from test to test; products are cached per process
    # What Shopify knows about the order: its prices (for refunds) and what was fulfilled (for returnCreate).
    fake_shopify.prices[ORDER_GID] = {line_gid(SHIRT): "29.95", line_gid(SHOES): "59.00"}
    fake_shopify.fulfilled[ORDER_GID] = [
        {"id": "gid://shopify/FulfillmentLineItem/501", "line_item": line_gid(SHIRT), "quantity": 2},
        {"id": "gid://shopify/FulfillmentLineItem/502", "line_item": line_gid(SHOES), "quantity": 1},
    ]
    tokens = Tokens("shpat_0123456789abcdef", "read_orders,write_orders,write_returns",
                    datetime.now(UTC) + timedelta(hours=1), "shprt_fedcba9876543210", None)
    shop = save_install(SHOP, tokens)
    for topic, name, event_id, days_ago in (("orders/create", "orders_create.json", "evt-o1", 4),
                                            ("fulfillments/create", "fulfillments_create.json", "evt-f1", 3)):
        resp = post_shopify(topic, recent(load_fixture("shopify", name), days_ago), event_id, domain=SHOP)
        assert resp.status_code == 200, resp.get_data(as_text=True)
    drain(app)
    shop = db.session.get(Shop, shop.id)
    shop.settings = {**(shop.settings or {}), "returns": {"return_address": ADDRESS}}
    db.session.commit()
    order = db.session.scalar(select(Order).where(Order.shop_id == shop.id, Order.number == "#1001"))
    assert order is not None, "the orders/create webhook did not produce order #1001"
    assert order.locale == "es" and len(order.shipments) == 1
    ids = Store(shop.id, order.id, fake_shopify)
    db.session.remove()  # nothing held open while the server and the worker write
    return ids
