"""Shopify: webhook verification and normalisation into the common model."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Callable, Mapping
from typing import Any

from connectors.base import (
    Change,
    NormalizeError,
    OrderChange,
    RefundRequest,
    RefundResult,
    ShipmentChange,
    ShopAccess,
    TrackingUpdate,
)
from connectors.shopify import compliance, refunds
from connectors.shopify.admin import ShopifyAdminClient, update_tracking
from connectors.shopify.normalize import normalize_fulfillment, normalize_order

ORDER_TOPICS = frozenset({"orders/create", "orders/updated", "orders/cancelled"})
FULFILLMENT_TOPICS = frozenset({"fulfillments/create", "fulfillments/update"})
# Mandatory privacy topics and the uninstall: pure functions of the payload.
LIFECYCLE: dict[str, Callable[[Mapping[str, Any]], Change]] = {
    "customers/redact": compliance.customer_redact,
    "customers/data_request": compliance.customer_data_request,
    "shop/redact": compliance.shop_redact,
    "app/uninstalled": compliance.app_uninstalled,
}
COMPLIANCE_TOPICS = frozenset({"customers/redact", "customers/data_request", "shop/redact"})


def sign_webhook(body: bytes, secret: str) -> str:
    """The X-Shopify-Hmac-Sha256 value Shopify would send for `body`."""
    digest = hmac.new(secret.encode(), body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


class ShopifyConnector:
    """Shopify behind the Connector Protocol."""

    name = "shopify"
    topics = ORDER_TOPICS | FULFILLMENT_TOPICS | frozenset(LIFECYCLE)

    def verify_webhook(self, body: bytes, signature: str | None, secret: str) -> bool:
        if not signature or not secret:
            return False
        return hmac.compare_digest(sign_webhook(body, secret), signature.strip())

    def normalize_webhook(self, topic: str, payload: Mapping[str, Any]) -> Change:
        if topic in ORDER_TOPICS:
            return OrderChange(normalize_order(payload))
        if topic in FULFILLMENT_TOPICS:
            order_id, shipment = normalize_fulfillment(payload)
            return ShipmentChange(order_id, shipment)
        if topic in LIFECYCLE:
            if not isinstance(payload, Mapping):
                raise NormalizeError(f"{topic}: payload must be an object")
            return LIFECYCLE[topic](payload)
        raise NormalizeError(f"unsupported Shopify topic: {topic}")

    def create_refund(self, access: ShopAccess, request: RefundRequest) -> RefundResult:
        return refunds.create_refund(ShopifyAdminClient(access.domain, access.access_token, access.base_url), request)

    def add_tracking(self, access: ShopAccess, shipment_external_id: str, tracking: TrackingUpdate) -> None:
        client = ShopifyAdminClient(access.domain, access.access_token, access.base_url)
        update_tracking(client, shipment_external_id, tracking.number, tracking.carrier, tracking.url,
                        tracking.notify_customer)


__all__ = ["COMPLIANCE_TOPICS", "ShopifyConnector", "sign_webhook"]
