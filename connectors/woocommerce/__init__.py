"""WooCommerce behind the Connector Protocol: webhooks, normalisation, tracking, refunds, products, store credit
(coupons) and exchange orders over REST v3."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from connectors.base import (
    Change,
    ExchangeRequest,
    ExchangeResult,
    NormalizeError,
    NotSupported,
    OrderChange,
    OrderDeleted,
    ProcessReturnRequest,
    ProcessReturnResult,
    RefundRequest,
    RefundResult,
    ReturnRequest,
    ReturnResult,
    ReturnShipping,
    ShopAccess,
    StoreCreditRequest,
    StoreCreditResult,
    TrackingUpdate,
)
from connectors.model import Money, Product
from connectors.woocommerce import exchanges, signing, store_credit
from connectors.woocommerce.client import WooClient
from connectors.woocommerce.normalize import normalize_order
from connectors.woocommerce.products import VARIABLE_TYPES, normalize_product
from connectors.woocommerce.signing import event_key, is_ping, sign_webhook

CENT = Decimal("0.01")
ORDER_TOPICS = frozenset({"order.created", "order.updated", "order.restored"})
DELETED_TOPIC = "order.deleted"
_NO_RETURNS = "WooCommerce core has no returns API; the return is kept in Postventa only"


class WooCommerceConnector:
    """WooCommerce behind the Connector Protocol."""

    name = "woocommerce"
    topics = ORDER_TOPICS | {DELETED_TOPIC}

    def verify_webhook(self, body: bytes, signature: str | None, secret: str) -> bool:
        return signing.verify_webhook(body, signature, secret)

    def normalize_webhook(self, topic: str, payload: Mapping[str, Any]) -> Change:
        if topic in ORDER_TOPICS:
            return OrderChange(normalize_order(payload))
        if topic == DELETED_TOPIC:
            if not isinstance(payload, Mapping):
                raise NormalizeError(f"{topic}: payload must be an object")
            return OrderDeleted(_deleted_id(payload.get("id")))
        raise NormalizeError(f"unsupported WooCommerce topic: {topic}")

    def add_tracking(self, access: ShopAccess, order_external_id: str, shipment_external_id: str,
                     tracking: TrackingUpdate) -> None:
        """Through the store's tracking plugin (WooCommerce has no tracking of its own); dated today."""
        _client(access).add_tracking(order_external_id, tracking.number, tracking.carrier, tracking.url,
                                     datetime.now(UTC).date())

    def create_refund(self, access: ShopAccess, request: RefundRequest) -> RefundResult:
        """Each line is refunded at what the shopper paid for one unit (after discounts, with tax)."""
        client = _client(access)
        order = client.order(request.order_external_id)
        currency = str(order.get("currency") or "")
        paid: dict[str, tuple[Decimal, int]] = {}
        for line in order.get("line_items") or ():
            quantity = int(line.get("quantity") or 0)
            if quantity > 0:
                line_paid = Decimal(str(line.get("total") or 0)) + Decimal(str(line.get("total_tax") or 0))
                paid[str(line["id"])] = (line_paid, quantity)
        unknown = [line_id for line_id, _ in request.lines if line_id not in paid]
        if unknown:
            raise ValueError(f"order {request.order_external_id} has no line item {', '.join(unknown)}")
        if request.amount is None:
            # Whole lines back exactly; part of a line rounded to the cent (3 of 10.00 for 3 units is 3.33 each).
            total = sum(((amount * qty / quantity).quantize(CENT) if qty != quantity else amount)
                        for line_id, qty in request.lines for amount, quantity in [paid[line_id]])
            request = replace(request, amount=Money(Decimal(total), currency))
        prices = {line_id: amount / quantity for line_id, (amount, quantity) in paid.items()}
        return client.refund_once(request.order_external_id, request, prices, currency)

    def get_products(self, access: ShopAccess, product_ids: Sequence[str]) -> list[Product]:
        """GET /products?include=…, plus each variable product's variations; prices in the store's currency."""
        client = _client(access)
        found = client.products(product_ids)
        if not found:
            return []
        currency = client.currency()
        return [normalize_product(p, client.variations(p["id"]) if p.get("type") in VARIABLE_TYPES else [], currency)
                for p in found]

    def issue_store_credit(self, access: ShopAccess, request: StoreCreditRequest) -> StoreCreditResult:
        """A single-use coupon for the shopper's email, its code derived from the key under the consumer secret."""
        return store_credit.issue_store_credit(_client(access), access.secret or "", request)

    def create_exchange_order(self, access: ShopAccess, request: ExchangeRequest) -> ExchangeResult:
        """A paid zero-price order, found again by the shopper's email and the key in its meta."""
        return exchanges.create_exchange_order(_client(access), request)

    # WooCommerce core has no returns (RMA) object or endpoint: a return lives only in Postventa.
    def create_return(self, access: ShopAccess, request: ReturnRequest) -> ReturnResult:
        raise NotSupported(_NO_RETURNS)

    def approve_return(self, access: ShopAccess, return_external_id: str) -> ReturnResult:
        raise NotSupported(_NO_RETURNS)

    def decline_return(self, access: ShopAccess, return_external_id: str, note: str) -> ReturnResult:
        raise NotSupported(_NO_RETURNS)

    def add_return_shipping(self, access: ShopAccess, return_external_id: str, shipping: ReturnShipping) -> str:
        raise NotSupported(_NO_RETURNS)

    def process_return(self, access: ShopAccess, request: ProcessReturnRequest) -> ProcessReturnResult:
        raise NotSupported(_NO_RETURNS)


def _client(access: ShopAccess) -> WooClient:
    return WooClient(access.domain, access.access_token, access.secret or "", allow_http=access.allow_insecure,
                     allow_private=access.allow_insecure)


def _deleted_id(value: object) -> str:
    """order.deleted carries only {"id": N}: the order (a post or HPOS id) that went away."""
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return str(value)
    if isinstance(value, str) and value.strip().isdigit() and int(value) > 0:
        return value.strip()
    raise NormalizeError(f"order.deleted.id: expected an integer id, got {value!r}")


__all__ = ["WooCommerceConnector", "event_key", "is_ping", "sign_webhook"]
