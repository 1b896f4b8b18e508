"""Exchange orders over REST v3: a paid, zero-price order for the replacement items, created once per key."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from connectors.base import ExchangeRequest, ExchangeResult
from connectors.model import Address
from connectors.woocommerce.client import WooApiError, WooClient
from connectors.woocommerce.products import VARIABLE_TYPES

# WooCommerce's order search (CPT and HPOS) looks at billing/shipping details and item names, not at notes or meta:
# a retry searches the shopper's orders by email and picks the one whose meta holds the key.
EXCHANGE_KEY = "_postventa_exchange_key"  # "_": hidden from the order screen's custom fields
EXCHANGE_OF = "_postventa_exchange_of"
BILLING_FIELDS = ("first_name", "last_name", "company", "address_1", "address_2", "city", "state", "postcode",
                  "country", "phone")


def create_exchange_order(client: WooClient, request: ExchangeRequest) -> ExchangeResult:
    """Processing and paid, every line at zero, shipped to the shopper; never two for the same key."""
    if not request.lines:
        raise ValueError("an exchange needs at least one line")
    original = client.order(request.order_external_id)
    billing = original.get("billing") or {}
    email = request.customer_email or str(billing.get("email") or "")
    if not email:
        raise ValueError(f"order {request.order_external_id} has no email to send the exchange to")
    earlier = _find(client, email, request.idempotency_key)
    if earlier is not None:
        return _result(earlier, already_done=True)
    data = {
        "status": "processing", "set_paid": True, "currency": original.get("currency") or None,
        "customer_id": original.get("customer_id") or 0,
        "billing": {**{k: billing[k] for k in BILLING_FIELDS if billing.get(k)}, "email": email},
        "shipping": (woo_address(request.shipping_address) if request.shipping_address is not None
                     else original.get("shipping") or {}),
        "line_items": [_line(client, variant, quantity) for variant, quantity in request.lines],
        "customer_note": request.note,
        "meta_data": [{"key": EXCHANGE_KEY, "value": request.idempotency_key},
                      {"key": EXCHANGE_OF, "value": str(original.get("id") or request.order_external_id)}],
    }
    data = {k: v for k, v in data.items() if v is not None}  # no currency: the store's own
    try:
        created = client.create_order(data)
    except WooApiError as exc:
        if exc.status is not None and exc.status < 500:
            raise
        made = _find(client, email, request.idempotency_key)  # a 5xx or timeout may come after the save
        if made is None:
            raise
        return _result(made, already_done=False)
    return _result(created, already_done=False)


def _line(client: WooClient, variant_id: str, quantity: int) -> dict[str, Any]:
    """A line at zero for a variation (with its product) or a simple product; a variable parent is refused."""
    product = client.product(variant_id)
    if product.get("type") == "variation":
        ids = {"product_id": int(product["parent_id"]), "variation_id": int(product["id"])}
    elif product.get("type") in VARIABLE_TYPES:
        raise ValueError(f"product {variant_id} is variable: an exchange ships one of its variations")
    else:
        ids = {"product_id": int(product["id"])}
    return {**ids, "quantity": quantity, "subtotal": "0", "total": "0"}


def _find(client: WooClient, email: str, key: str) -> Mapping[str, Any] | None:
    """The shopper's order carrying this key in its meta, if an earlier attempt made one."""
    for order in client.search_orders(email):
        if any(m.get("key") == EXCHANGE_KEY and m.get("value") == key for m in order.get("meta_data") or ()):
            return order
    return None


def woo_address(address: Address) -> dict[str, str]:
    """The common Address as a WooCommerce shipping address (one name split into first and last)."""
    first, _, last = (address.name or "").strip().partition(" ")
    fields = {"first_name": first if last else "", "last_name": last or first, "company": address.company,
              "address_1": address.line1, "address_2": address.line2, "city": address.city, "state": address.region,
              "postcode": address.postal_code, "country": address.country_code, "phone": address.phone}
    return {k: v or "" for k, v in fields.items()}


def _result(order: Mapping[str, Any], *, already_done: bool) -> ExchangeResult:
    """The new order, named by its number as the shopper sees it."""
    return ExchangeResult(external_id=str(order["id"]), name=f"#{order.get('number') or order['id']}",
                          already_done=already_done)
