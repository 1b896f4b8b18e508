"""Store credit as a WooCommerce coupon over REST v3, issued once per idempotency key."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from connectors.base import StoreCreditRequest, StoreCreditResult
from connectors.model import Money
from connectors.woocommerce.client import WooApiError, WooClient

# The code is an HMAC of the key under the store's consumer secret: a retry computes the same code and finds the
# coupon with GET /coupons?code=, while nobody without the store's API secret can compute one.
CODE_TAKEN = "woocommerce_rest_coupon_code_already_exists"
CODE_LENGTH = 16


def credit_code(secret: str, key: str) -> str:
    """16 lower-case letters and digits (80 bits), the same for the same store and key."""
    if not secret:
        raise ValueError("the store's consumer secret is needed to derive a store-credit code")
    digest = hmac.new(secret.encode(), f"postventa-store-credit:{key}".encode(), hashlib.sha256).digest()
    return base64.b32encode(digest).decode().lower()[:CODE_LENGTH]


def marker(key: str) -> str:
    """Written into the coupon's description, so a merchant can tell which return it paid for."""
    return f"[postventa:{key}]"


def issue_store_credit(client: WooClient, secret: str, request: StoreCreditRequest) -> StoreCreditResult:
    """A single-use fixed-cart coupon for the shopper's email, never two for the same key."""
    code = credit_code(secret, request.idempotency_key)
    order = client.order(request.order_external_id)
    currency = str(order.get("currency") or "")
    if request.amount.currency != currency:
        raise ValueError(f"store credit in {request.amount.currency} for an order in {currency}")
    earlier = client.coupon_by_code(code)
    if earlier is not None:
        return _result(earlier, currency, already_done=True)
    email = request.customer_email or str((order.get("billing") or {}).get("email") or "")
    number = order.get("number") or request.order_external_id
    data: dict[str, Any] = {
        "code": code, "discount_type": "fixed_cart", "amount": format(request.amount.amount, "f"),
        "individual_use": False, "usage_limit": 1,
        "description": " ".join(p for p in (request.note, f"Order #{number}", marker(request.idempotency_key)) if p),
    }
    if email:
        data["email_restrictions"] = [email]
    try:
        created = client.create_coupon(data)
    except WooApiError as exc:
        # Taken: an earlier attempt made it. A 5xx or lost connection may come after the coupon was saved.
        if exc.code != CODE_TAKEN and exc.status is not None and exc.status < 500:
            raise
        made = client.coupon_by_code(code)
        if made is None:
            raise
        return _result(made, currency, already_done=exc.code == CODE_TAKEN)
    return _result(created, currency, already_done=False)


def _result(coupon: Mapping[str, Any], currency: str, *, already_done: bool) -> StoreCreditResult:
    """Coupons carry no currency: it is the order's."""
    return StoreCreditResult(external_id=str(coupon["id"]), code=str(coupon["code"]),
                             amount=Money(Decimal(str(coupon["amount"])), currency), already_done=already_done)
