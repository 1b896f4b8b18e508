"""Writes behind the Connector Protocol, against the local fake Shopify Admin API over HTTP."""

from __future__ import annotations

from typing import Any

import pytest

from connectors.base import ShopAccess, TrackingUpdate, get_connector
from connectors.model import Money
from connectors.shopify.admin import AdminApiError, ShopifyAdminClient, update_tracking
from tests.fake_shopify import SHOP, FakeShopify


def access(app: Any) -> ShopAccess:
    return ShopAccess(SHOP, "shpat_0123456789abcdef", app.config["SHOPIFY_BASE_URL"])


def test_add_tracking_to_a_fulfillment(app: Any, fake_shopify: FakeShopify) -> None:
    fake_shopify.throttle_next = 0
    get_connector("shopify").add_tracking(access(app), "4812345678901234567",
                                          TrackingUpdate("1Z999AA10123456784", "UPS", "https://www.ups.com/track"))
    (sent,) = fake_shopify.tracking_updates
    assert sent["fulfillmentId"] == "gid://shopify/Fulfillment/4812345678901234567"
    assert sent["tracking"] == {"number": "1Z999AA10123456784", "company": "UPS", "url": "https://www.ups.com/track"}
    assert sent["notify"] is False  # Postventa sends its own email


def test_platform_errors_are_raised_not_swallowed(app: Any, fake_shopify: FakeShopify) -> None:
    fake_shopify.throttle_next = 0
    client = ShopifyAdminClient(SHOP, "shpat_0123456789abcdef", app.config["SHOPIFY_BASE_URL"])
    with pytest.raises(AdminApiError, match="does not exist"):
        update_tracking(client, "gid://shopify/Order/1", "X", None, None, False)
    revoked = ShopifyAdminClient(SHOP, "shpat_revoked", app.config["SHOPIFY_BASE_URL"])
    with pytest.raises(AdminApiError, match="refused the access token"):
        revoked.subscriptions()


def test_refund_is_created_once_per_key(app: Any, fake_shopify: FakeShopify) -> None:
    from decimal import Decimal

    from connectors.base import RefundRequest

    fake_shopify.throttle_next = 0
    order = "gid://shopify/Order/6102938475610293847"
    fake_shopify.prices = {order: {"gid://shopify/LineItem/13001": "24.90", "gid://shopify/LineItem/13002": "9.50"}}
    request = RefundRequest("6102938475610293847", (("13001", 2),), "rma-41", note="Devolución RMA-41")
    shopify = get_connector("shopify")
    first = shopify.create_refund(access(app), request)
    assert first.amount.amount == Decimal("49.80") and first.amount.currency == "EUR" and not first.already_done
    sent = fake_shopify.refund_inputs[0]
    assert sent["refundLineItems"] == [{"lineItemId": "gid://shopify/LineItem/13001", "quantity": 2,
                                        "restockType": "RETURN"}]
    assert sent["transactions"][0]["parentId"] == "gid://shopify/OrderTransaction/77"
    assert sent["notify"] is False
    # The job retried after a crash: the earlier refund is found by its key, no second one is made.
    again = shopify.create_refund(access(app), request)
    assert again.already_done and again.external_id == first.external_id
    assert len(fake_shopify.refund_inputs) == 1
    # A partial amount caps the transaction.
    partial = shopify.create_refund(access(app), RefundRequest(
        "6102938475610293847", (("13002", 1),), "rma-42", amount=Money(Decimal("5.00"), "EUR")))
    assert partial.amount.amount == Decimal("5.00")


def test_refund_errors_are_raised(app: Any, fake_shopify: FakeShopify) -> None:
    from connectors.base import RefundRequest

    fake_shopify.throttle_next = 0
    with pytest.raises(AdminApiError, match="not found"):
        get_connector("shopify").create_refund(access(app), RefundRequest("999", (("1", 1),), "rma-x"))
