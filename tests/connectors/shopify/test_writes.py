"""Writes behind the Connector Protocol, against the local fake Shopify Admin API over HTTP."""

from __future__ import annotations

from typing import Any

import pytest

from connectors.base import ShopAccess, TrackingUpdate, get_connector
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
