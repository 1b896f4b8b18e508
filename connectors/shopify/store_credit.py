"""Store credit as a Shopify gift card through the GraphQL Admin API, issued once per idempotency key."""

from __future__ import annotations

import hashlib
import secrets
import string
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from connectors.base import StoreCreditRequest, StoreCreditResult
from connectors.model import Money
from connectors.shopify.admin import AdminApiError, ShopifyAdminClient, gid
from connectors.shopify.graphql_orders import gid_number

# A gift card code is money to whoever knows it, and Postventa is open source: a code computed from the key alone
# could be computed by anyone. So the code is random and reserved on the order (an app-owned metafield) before the
# card is created; a retry reads the reservation back and finds the card by that code (giftCards searches codes).
NAMESPACE = "$app:postventa"  # app-owned: only Postventa can read the reserved code
CODE_ALPHABET = string.ascii_lowercase + string.digits
CODE_LENGTH = 20  # the most Shopify accepts (8 to 20 letters and digits)
NOTE_LIMIT = 500

CREDIT_ORDER = """
query CreditOrder($id: ID!, $namespace: String!, $key: String!) {
  shop { currencyCode }
  order(id: $id) { id name metafield(namespace: $namespace, key: $key) { value } }
}
"""

RESERVE_CODE = """
mutation ReserveCode($metafields: [MetafieldsSetInput!]!) {
  metafieldsSet(metafields: $metafields) { metafields { key value } userErrors { field message code } }
}
"""

FIND_GIFT_CARD = """
query FindGiftCard($query: String!) {
  giftCards(first: 10, query: $query) { nodes { id lastCharacters initialValue { amount currencyCode } } }
}
"""

CREATE_GIFT_CARD = """
mutation IssueCredit($input: GiftCardCreateInput!) {
  giftCardCreate(input: $input) {
    giftCard { id lastCharacters initialValue { amount currencyCode } }
    giftCardCode
    userErrors { field message code }
  }
}
"""


def marker(key: str) -> str:
    """Written into the card's internal note, so a merchant can tell which return it paid for."""
    return f"[postventa:{key}]"


def reservation_key(key: str) -> str:
    """The metafield key for one idempotency key (metafield keys allow 64 letters, digits, - and _)."""
    return "credit-" + hashlib.sha256(key.encode()).hexdigest()[:40]


def new_code() -> str:
    """A code nobody can guess: 20 random letters and digits."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def issue_store_credit(client: ShopifyAdminClient, request: StoreCreditRequest) -> StoreCreditResult:
    """A gift card for the amount, never two for the same key (a retry returns the first, with its code)."""
    order_gid = gid("Order", request.order_external_id)
    meta_key = reservation_key(request.idempotency_key)
    data = client.graphql(CREDIT_ORDER, {"id": order_gid, "namespace": NAMESPACE, "key": meta_key})
    order = data["order"]
    if order is None:
        raise AdminApiError(f"order {request.order_external_id} not found")
    currency = str(data["shop"]["currencyCode"])
    if request.amount.currency != currency:
        raise ValueError(f"store credit in {request.amount.currency} for a shop in {currency}")
    reserved = (order.get("metafield") or {}).get("value")
    code = str(reserved) if reserved else _reserve(client, order_gid, meta_key)
    earlier = _find(client, code)
    if earlier is not None:
        return _result(earlier, code, already_done=True)
    note = " ".join(p for p in (request.note, f"Order {order.get('name') or request.order_external_id}",
                                 marker(request.idempotency_key)) if p)
    payload = client.graphql(CREATE_GIFT_CARD, {"input": {
        "initialValue": format(request.amount.amount, "f"), "code": code, "note": note[-NOTE_LIMIT:],
    }})["giftCardCreate"]
    if payload["userErrors"]:
        if any(e.get("code") == "TAKEN" for e in payload["userErrors"]):
            # Made by an earlier attempt, not yet in Shopify's search index: the job's retry will find it.
            raise AdminApiError("the gift card for this credit exists but cannot be looked up yet; retry later")
        raise AdminApiError("; ".join(str(e["message"]) for e in payload["userErrors"]))
    return _result(payload["giftCard"], str(payload.get("giftCardCode") or code))


def _reserve(client: ShopifyAdminClient, order_gid: str, meta_key: str) -> str:
    """Write a fresh code on the order before any card exists; compareDigest null: only if none is there yet."""
    code = new_code()
    payload = client.graphql(RESERVE_CODE, {"metafields": [{
        "ownerId": order_gid, "namespace": NAMESPACE, "key": meta_key, "type": "single_line_text_field",
        "value": code, "compareDigest": None,
    }]})["metafieldsSet"]
    if payload["userErrors"]:
        raise AdminApiError("; ".join(str(e["message"]) for e in payload["userErrors"]))
    return code


def _find(client: ShopifyAdminClient, code: str) -> Mapping[str, Any] | None:
    """The card with this code: Shopify searches codes by default and shows only their last characters."""
    cards = client.graphql(FIND_GIFT_CARD, {"query": code})["giftCards"]["nodes"]
    return next((c for c in cards if str(c.get("lastCharacters") or "").lower() == code[-4:]), None)


def _result(card: Mapping[str, Any], code: str, already_done: bool = False) -> StoreCreditResult:
    """The card with its full code, which Shopify itself shows only at creation."""
    value = card["initialValue"]
    return StoreCreditResult(external_id=str(gid_number(card["id"])), code=code,
                             amount=Money(Decimal(str(value["amount"])), str(value["currencyCode"])),
                             already_done=already_done)
