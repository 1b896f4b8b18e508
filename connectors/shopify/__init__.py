"""Shopify: webhook verification and normalisation into the common model."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from connectors.base import (
    Change,
    ExchangeRequest,
    ExchangeResult,
    NormalizeError,
    OrderChange,
    ProcessReturnRequest,
    ProcessReturnResult,
    RefundChange,
    RefundRequest,
    RefundResult,
    ReturnChange,
    ReturnRequest,
    ReturnResult,
    ReturnShipping,
    ShipmentChange,
    ShopAccess,
    StoreCreditRequest,
    StoreCreditResult,
    TrackingUpdate,
)
from connectors.model import Product
from connectors.shopify import compliance, exchanges, products, refunds, return_process, returns, store_credit
from connectors.shopify.admin import ShopifyAdminClient, update_tracking
from connectors.shopify.normalize import (
    normalize_fulfillment,
    normalize_fulfillment_event,
    normalize_order,
    normalize_refund,
    normalize_return,
)

ORDER_TOPICS = frozenset({"orders/create", "orders/updated", "orders/cancelled"})
FULFILLMENT_TOPICS = frozenset({"fulfillments/create", "fulfillments/update"})
# Carrier checkpoints added to a fulfillment between its own updates.
FULFILLMENT_EVENT_TOPIC = "fulfillment_events/create"
# What each returns/* topic means when its body does not say the status.
RETURN_TOPICS = {
    "returns/request": "requested",
    "returns/approve": "open",
    "returns/decline": "declined",
    "returns/cancel": "canceled",
    "returns/close": "closed",
    "returns/reopen": "open",
}
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
    topics = (ORDER_TOPICS | FULFILLMENT_TOPICS | frozenset(LIFECYCLE) | frozenset(RETURN_TOPICS)
              | {"refunds/create", FULFILLMENT_EVENT_TOPIC})

    def verify_webhook(self, body: bytes, signature: str | None, secret: str) -> bool:
        if not signature or not secret:
            return False
        # Bytes: a header with non-ASCII junk is a mismatch, not a TypeError (and a 500).
        return hmac.compare_digest(sign_webhook(body, secret).encode(), signature.strip().encode("utf-8", "replace"))

    def normalize_webhook(self, topic: str, payload: Mapping[str, Any]) -> Change:
        if topic in ORDER_TOPICS:
            return OrderChange(normalize_order(payload))
        if topic in FULFILLMENT_TOPICS:
            order_id, shipment = normalize_fulfillment(payload)
            return ShipmentChange(order_id, shipment)
        if topic == FULFILLMENT_EVENT_TOPIC:
            return normalize_fulfillment_event(payload)
        if topic == "refunds/create":
            return RefundChange(*normalize_refund(payload))
        if topic in RETURN_TOPICS:
            return ReturnChange(normalize_return(payload, RETURN_TOPICS[topic]), reopened=topic == "returns/reopen")
        if topic in LIFECYCLE:
            if not isinstance(payload, Mapping):
                raise NormalizeError(f"{topic}: payload must be an object")
            return LIFECYCLE[topic](payload)
        raise NormalizeError(f"unsupported Shopify topic: {topic}")

    def create_refund(self, access: ShopAccess, request: RefundRequest) -> RefundResult:
        return refunds.create_refund(_client(access), request)

    def create_return(self, access: ShopAccess, request: ReturnRequest) -> ReturnResult:
        return returns.create_return(_client(access), request)

    def approve_return(self, access: ShopAccess, return_external_id: str) -> ReturnResult:
        return returns.approve_return(_client(access), return_external_id)

    def decline_return(self, access: ShopAccess, return_external_id: str, note: str) -> ReturnResult:
        return returns.decline_return(_client(access), return_external_id, note)

    def add_return_shipping(self, access: ShopAccess, return_external_id: str, shipping: ReturnShipping) -> str:
        return returns.add_return_shipping(_client(access), return_external_id, shipping)

    def process_return(self, access: ShopAccess, request: ProcessReturnRequest) -> ProcessReturnResult:
        """returnProcess (scope write_returns): lines processed and restocked, the refund issued by the same call."""
        return return_process.process_return(_client(access), request)

    def add_tracking(self, access: ShopAccess, order_external_id: str, shipment_external_id: str,
                     tracking: TrackingUpdate) -> None:
        update_tracking(_client(access), shipment_external_id, tracking.number, tracking.carrier, tracking.url,
                        tracking.notify_customer)

    def get_products(self, access: ShopAccess, product_ids: Sequence[str]) -> list[Product]:
        """nodes(ids:) over Product (scope read_products), with the numeric ids line items carry."""
        return products.get_products(_client(access), product_ids)

    def issue_store_credit(self, access: ShopAccess, request: StoreCreditRequest) -> StoreCreditResult:
        """A gift card (scope write_gift_cards); its random code is reserved on the order first (write_orders)."""
        return store_credit.issue_store_credit(_client(access), request)

    def create_exchange_order(self, access: ShopAccess, request: ExchangeRequest) -> ExchangeResult:
        """A draft order at 100% off, tagged by key, then completed (scope write_draft_orders)."""
        return exchanges.create_exchange_order(_client(access), request)


def _client(access: ShopAccess) -> ShopifyAdminClient:
    return ShopifyAdminClient(access.domain, access.access_token, access.base_url)


__all__ = ["COMPLIANCE_TOPICS", "ShopifyConnector", "sign_webhook"]
