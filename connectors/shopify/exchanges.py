"""Exchange orders through the GraphQL Admin API: a draft at 100% off, tagged by key, then completed once."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from connectors.base import ExchangeRequest, ExchangeResult
from connectors.model import Address
from connectors.shopify.admin import AdminApiError, ShopifyAdminClient, gid
from connectors.shopify.graphql_orders import gid_number
from connectors.shopify.markers import marker

# The tag makes the draft findable by a retry; completing is a separate call, so a retry that finds the draft still
# open completes that one instead of making another. Only a completed draft becomes an order.
FIND_DRAFTS = """
query ExchangeDrafts($query: String!) {
  draftOrders(first: 10, query: $query) { nodes { id name status tags order { id name } } }
}
"""

ORIGINAL_ORDER = """
query ExchangeOf($id: ID!) {
  order(id: $id) {
    id name email
    shippingAddress { firstName lastName company address1 address2 city provinceCode zip countryCodeV2 phone }
  }
}
"""

CREATE_DRAFT = """
mutation ExchangeDraft($input: DraftOrderInput!) {
  draftOrderCreate(input: $input) { draftOrder { id name status } userErrors { field message } }
}
"""

COMPLETE_DRAFT = """
mutation CompleteExchange($id: ID!) {
  draftOrderComplete(id: $id) { draftOrder { id status order { id name } } userErrors { field message } }
}
"""


def exchange_tag(key: str) -> str:
    """The draft's (and so the order's) tag for one key: Shopify tags hold at most 40 characters."""
    return "postventa-exchange-" + hashlib.sha256(key.encode()).hexdigest()[:16]


def create_exchange_order(client: ShopifyAdminClient, request: ExchangeRequest) -> ExchangeResult:
    """The free replacement order, once per key: an earlier draft is completed (or returned) instead of redone."""
    if not request.lines:
        raise ValueError("an exchange needs at least one line")
    tag = exchange_tag(request.idempotency_key)
    drafts = [d for d in client.graphql(FIND_DRAFTS, {"query": f'tag:"{tag}"'})["draftOrders"]["nodes"]
              if tag in (d.get("tags") or ())]
    completed = next((d for d in drafts if d.get("status") == "COMPLETED" and d.get("order")), None)
    if completed is not None:
        return _result(completed["order"], already_done=True)
    if drafts:  # created by an attempt that stopped before completing it
        return _complete(client, drafts[0]["id"], already_done=True)
    draft = client.graphql(CREATE_DRAFT, {"input": _draft_input(client, request, tag)})["draftOrderCreate"]
    _raise_user_errors(draft)
    return _complete(client, draft["draftOrder"]["id"], already_done=False)


def _draft_input(client: ShopifyAdminClient, request: ExchangeRequest, tag: str) -> dict[str, Any]:
    """Every line at 100% off and no shipping line (free); email and address default to the original order's."""
    original = client.graphql(ORIGINAL_ORDER, {"id": gid("Order", request.order_external_id)})["order"]
    if original is None:
        raise AdminApiError(f"order {request.order_external_id} not found")
    discount = {"valueType": "PERCENTAGE", "value": 100.0, "title": "Exchange",
                "description": f"Exchange for order {original.get('name') or request.order_external_id}"}
    draft: dict[str, Any] = {
        "lineItems": [{"variantId": gid("ProductVariant", variant), "quantity": quantity, "appliedDiscount": discount}
                      for variant, quantity in request.lines],
        "tags": [tag],
        "note": " ".join(p for p in (request.note, marker(request.idempotency_key)) if p),
    }
    email = request.customer_email or original.get("email")
    if email:
        draft["email"] = email
    address = (mailing_address(request.shipping_address) if request.shipping_address is not None
               else _original_address(original.get("shippingAddress")))
    if address:
        draft["shippingAddress"] = address
    return draft


def mailing_address(address: Address) -> dict[str, str]:
    """The common Address as MailingAddressInput (one name split into first and last)."""
    first, _, last = (address.name or "").strip().partition(" ")
    fields = {"firstName": first if last else None, "lastName": last or first or None, "company": address.company,
              "address1": address.line1, "address2": address.line2, "city": address.city,
              "provinceCode": address.region, "zip": address.postal_code, "countryCode": address.country_code,
              "phone": address.phone}
    return {k: v for k, v in fields.items() if v}


def _original_address(value: Any) -> dict[str, str]:
    """The original order's shipping address as MailingAddressInput (countryCodeV2 is countryCode there)."""
    if not isinstance(value, Mapping):
        return {}
    fields = {("countryCode" if k == "countryCodeV2" else k): v for k, v in value.items()}
    return {k: str(v) for k, v in fields.items() if v}


def _complete(client: ShopifyAdminClient, draft_id: str, *, already_done: bool) -> ExchangeResult:
    """Complete the draft as paid (it totals zero), which makes the order."""
    payload = client.graphql(COMPLETE_DRAFT, {"id": draft_id})["draftOrderComplete"]
    _raise_user_errors(payload)
    order = (payload.get("draftOrder") or {}).get("order")
    if not order:
        raise AdminApiError(f"draft order {draft_id} was completed without an order")
    return _result(order, already_done=already_done)


def _result(order: Mapping[str, Any], *, already_done: bool) -> ExchangeResult:
    """The new order with the plain numeric id its webhooks will carry."""
    return ExchangeResult(external_id=str(gid_number(order["id"])), name=order.get("name"), already_done=already_done)


def _raise_user_errors(payload: Mapping[str, Any]) -> None:
    if payload["userErrors"]:
        raise AdminApiError("; ".join(str(e["message"]) for e in payload["userErrors"]))
