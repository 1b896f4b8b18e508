"""Returns through the GraphQL Admin API: create once per key, approve, decline, and ship back with a label."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from connectors.base import ReturnRequest, ReturnResult, ReturnShipping
from connectors.model import ReturnStatus
from connectors.shopify.admin import AdminApiError, ShopifyAdminClient, gid
from connectors.shopify.markers import marker

# Shopify's ReturnReason enum; any other reason of ours goes as OTHER with the words in the note.
RETURN_REASONS = frozenset({"COLOR", "DEFECTIVE", "NOT_AS_DESCRIBED", "OTHER", "SIZE_TOO_LARGE", "SIZE_TOO_SMALL",
                            "STYLE", "UNWANTED", "WRONG_ITEM", "UNKNOWN"})
NOTE_LIMIT = 255  # ReturnLineItemInput.returnReasonNote
# Postventa's default reason codes -> Shopify's ReturnReason, so the store's own reports group them right.
REASON_ALIASES = {"damaged": "DEFECTIVE", "too_small": "SIZE_TOO_SMALL", "too_large": "SIZE_TOO_LARGE",
                  "changed_mind": "UNWANTED", "wrong_item": "WRONG_ITEM", "not_as_described": "NOT_AS_DESCRIBED"}

ORDER_RETURNS = """
query OrderReturns($id: ID!) {
  order(id: $id) {
    returns(first: 50) {
      nodes { id name status returnLineItems(first: 50) { nodes { id quantity returnReasonNote } } }
    }
  }
}
"""

RETURNABLE = """
query Returnable($id: ID!) {
  returnableFulfillments(orderId: $id, first: 20) {
    nodes {
      returnableFulfillmentLineItems(first: 100) {
        nodes { quantity fulfillmentLineItem { id lineItem { id } } }
      }
    }
  }
}
"""

CREATE_RETURN = """
mutation ReturnCreate($input: ReturnInput!) {
  returnCreate(returnInput: $input) {
    return { id name status }
    userErrors { field message code }
  }
}
"""

RETURN_STATE = """
query ReturnState($id: ID!) {
  return(id: $id) {
    id name status
    reverseFulfillmentOrders(first: 5) {
      nodes {
        id
        reverseDeliveries(first: 10) {
          nodes { id deliverable { ... on ReverseDeliveryShippingDeliverable { tracking { number url } } } }
        }
      }
    }
  }
}
"""

APPROVE_RETURN = """
mutation Approve($input: ReturnApproveRequestInput!) {
  returnApproveRequest(input: $input) { return { id name status } userErrors { field message code } }
}
"""

DECLINE_RETURN = """
mutation Decline($input: ReturnDeclineRequestInput!) {
  returnDeclineRequest(input: $input) { return { id name status } userErrors { field message code } }
}
"""

REVERSE_DELIVERY = """
mutation ShipBack($rfo: ID!, $tracking: ReverseDeliveryTrackingInput, $label: ReverseDeliveryLabelInput) {
  reverseDeliveryCreateWithShipping(reverseFulfillmentOrderId: $rfo, reverseDeliveryLineItems: [],
                                    trackingInput: $tracking, labelInput: $label, notifyCustomer: false) {
    reverseDelivery { id }
    userErrors { field message code }
  }
}
"""


class NotReturnable(AdminApiError):
    """Shopify holds fewer returnable items than asked for (not fulfilled yet, or already returned)."""


def _result(node: Mapping[str, Any], already_done: bool = False) -> ReturnResult:
    return ReturnResult(str(node["id"]), ReturnStatus(str(node["status"]).lower()), node.get("name"), already_done)


def _raise_user_errors(payload: Mapping[str, Any]) -> None:
    if payload["userErrors"]:
        raise AdminApiError("; ".join(str(e["message"]) for e in payload["userErrors"]))


def create_return(client: ShopifyAdminClient, request: ReturnRequest) -> ReturnResult:
    """An OPEN return (approved outside Shopify) for the requested lines, never two for the same key."""
    if not request.lines:
        raise ValueError("a return needs at least one line")
    order_gid = gid("Order", request.order_external_id)
    order = client.graphql(ORDER_RETURNS, {"id": order_gid})["order"]
    if order is None:
        raise AdminApiError(f"order {request.order_external_id} not found")
    tag = marker(request.idempotency_key)
    for ret in order["returns"]["nodes"]:
        if any(tag in (line.get("returnReasonNote") or "") for line in ret["returnLineItems"]["nodes"]):
            return _result(ret, already_done=True)
    lines = _fulfillment_lines(client, order_gid, request)
    lines[0]["returnReasonNote"] = f"{lines[0]['returnReasonNote']} {tag}".strip()[-NOTE_LIMIT:]
    payload = client.graphql(CREATE_RETURN, {"input": {"orderId": order_gid, "returnLineItems": lines}})["returnCreate"]
    _raise_user_errors(payload)
    return _result(payload["return"])


def _fulfillment_lines(client: ShopifyAdminClient, order_gid: str, request: ReturnRequest) -> list[dict[str, Any]]:
    """Shopify returns fulfillment line items: spread each order line's quantity over what is returnable."""
    available: dict[str, list[list[Any]]] = {}
    for fulfillment in client.graphql(RETURNABLE, {"id": order_gid})["returnableFulfillments"]["nodes"]:
        for node in fulfillment["returnableFulfillmentLineItems"]["nodes"]:
            fli = node["fulfillmentLineItem"]
            available.setdefault(fli["lineItem"]["id"], []).append([fli["id"], int(node["quantity"])])
    lines: list[dict[str, Any]] = []
    for line in request.lines:
        wanted = line.quantity
        reason = REASON_ALIASES.get((line.reason or "").lower(), (line.reason or "").upper())
        note = (line.note or "" if reason in RETURN_REASONS else " ".join(filter(None, [line.reason, line.note])))
        for slot in available.get(gid("LineItem", line.line_item_id), []):
            take = min(wanted, slot[1])
            if take <= 0:
                continue
            slot[1] -= take
            wanted -= take
            lines.append({"fulfillmentLineItemId": slot[0], "quantity": take,
                          "returnReason": reason if reason in RETURN_REASONS else "OTHER",
                          "returnReasonNote": note[:NOTE_LIMIT]})
        if wanted > 0:
            raise NotReturnable(f"line item {line.line_item_id}: {wanted} more than Shopify can take back")
    return lines


def _state(client: ShopifyAdminClient, return_external_id: str) -> dict[str, Any]:
    node = client.graphql(RETURN_STATE, {"id": gid("Return", return_external_id)})["return"]
    if node is None:
        raise AdminApiError(f"return {return_external_id} not found")
    return dict(node)


def approve_return(client: ShopifyAdminClient, return_external_id: str) -> ReturnResult:
    """Approve a REQUESTED return; one already open or closed is left as it is."""
    node = _state(client, return_external_id)
    if node["status"] != "REQUESTED":
        if node["status"] in ("OPEN", "CLOSED"):
            return _result(node, already_done=True)
        name = node.get("name") or node["id"]
        raise AdminApiError(f"return {name} is {node['status'].lower()}; it cannot be approved")
    payload = client.graphql(APPROVE_RETURN, {"input": {"id": node["id"]}})["returnApproveRequest"]
    _raise_user_errors(payload)
    return _result(payload["return"])


def decline_return(client: ShopifyAdminClient, return_external_id: str, note: str) -> ReturnResult:
    """Decline a REQUESTED return with our note; Shopify's own email stays off (we send ours)."""
    node = _state(client, return_external_id)
    if node["status"] == "DECLINED":
        return _result(node, already_done=True)
    payload = client.graphql(DECLINE_RETURN, {"input": {
        "id": node["id"], "declineReason": "OTHER", "declineNote": note[:500], "notifyCustomer": False,
    }})["returnDeclineRequest"]
    _raise_user_errors(payload)
    return _result(payload["return"])


def add_return_shipping(client: ShopifyAdminClient, return_external_id: str, shipping: ReturnShipping) -> str:
    """A reverse delivery with the label and tracking; the same tracking number twice makes one delivery."""
    node = _state(client, return_external_id)
    orders = node["reverseFulfillmentOrders"]["nodes"]
    if not orders:
        raise AdminApiError(f"return {node.get('name') or node['id']} has nothing to ship back (not approved yet?)")
    for rfo in orders:
        for delivery in rfo["reverseDeliveries"]["nodes"]:
            tracking = (delivery.get("deliverable") or {}).get("tracking") or {}
            if shipping.tracking_number and tracking.get("number") == shipping.tracking_number:
                return str(delivery["id"])
    tracking_input = ({"number": shipping.tracking_number, "url": shipping.tracking_url}
                      if shipping.tracking_number else None)
    label_input = {"fileUrl": shipping.label_url} if shipping.label_url else None
    payload = client.graphql(REVERSE_DELIVERY, {"rfo": orders[0]["id"], "tracking": tracking_input,
                                                "label": label_input})["reverseDeliveryCreateWithShipping"]
    _raise_user_errors(payload)
    return str(payload["reverseDelivery"]["id"])
