"""Closing a Shopify return with returnProcess: lines processed and disposed, and the refund issued, in one call."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from connectors.base import ProcessReturnRequest, ProcessReturnResult, RefundResult
from connectors.model import Money
from connectors.shopify.admin import AdminApiError, ShopifyAdminClient, gid
from connectors.shopify.markers import marker

# What is left to process, what was processed, the reverse fulfillment lines to dispose of, and the refunds the
# return already produced (a processing whose answer was lost shows up here).
RETURN_TO_PROCESS = """
query ReturnToProcess($id: ID!) {
  return(id: $id) {
    id name status
    order { id }
    returnLineItems(first: 50) {
      nodes {
        id quantity processableQuantity processedQuantity
        ... on ReturnLineItem { fulfillmentLineItem { id } }
      }
    }
    reverseFulfillmentOrders(first: 5) {
      nodes {
        lineItems(first: 50) { nodes { id totalQuantity fulfillmentLineItem { id } dispositions { quantity } } }
      }
    }
    refunds(first: 20) { nodes { id note createdAt totalRefundedSet { shopMoney { amount currencyCode } } } }
  }
}
"""

# Shopify's own refund for those lines (discounts, taxes, fees and the payments to refund against are its call).
SUGGESTED_OUTCOME = """
query SuggestedOutcome($id: ID!, $lines: [SuggestedOutcomeReturnLineItemInput!]!) {
  return(id: $id) {
    suggestedFinancialOutcome(returnLineItems: $lines, exchangeLineItems: []) {
      financialTransfer {
        __typename
        ... on RefundReturnOutcome {
          amount { presentmentMoney { amount currencyCode } }
          suggestedTransactions {
            gateway
            parentTransaction { id }
            amountSet { presentmentMoney { amount currencyCode } }
          }
        }
      }
    }
  }
}
"""

# Where each fulfilled line left from, so a restocked item goes back to the same location.
FULFILLMENT_LOCATIONS = """
query FulfillmentLocations($id: ID!) {
  order(id: $id) {
    fulfillments(first: 10) { location { id } fulfillmentLineItems(first: 50) { nodes { id } } }
  }
}
"""

PROCESS_RETURN = """
mutation ReturnProcess($input: ReturnProcessInput!) {
  returnProcess(input: $input) {
    return {
      id status
      refunds(first: 20) { nodes { id note createdAt totalRefundedSet { shopMoney { amount currencyCode } } } }
    }
    userErrors { field message code }
  }
}
"""


def process_return(client: ShopifyAdminClient, request: ProcessReturnRequest) -> ProcessReturnResult:
    """Process what is left of an OPEN return; a return already processed is reported, never processed twice."""
    ret = client.graphql(RETURN_TO_PROCESS, {"id": gid("Return", request.return_external_id)})["return"]
    if ret is None:
        raise AdminApiError(f"return {request.return_external_id} not found")
    name = ret.get("name") or ret["id"]
    lines = ret["returnLineItems"]["nodes"]
    todo = [line for line in lines if int(line["processableQuantity"]) > 0]
    refunds = ret["refunds"]["nodes"]
    processed_before = any(int(line["processedQuantity"]) > 0 for line in lines)
    if ret["status"] == "CLOSED" or (ret["status"] == "OPEN" and not todo and processed_before):
        # An earlier attempt (whose answer was lost) or the merchant processed it: report, do not process again.
        return ProcessReturnResult(_pick(refunds, request.idempotency_key, already_done=True), already_done=True)
    if ret["status"] != "OPEN":
        raise AdminApiError(f"return {name} is {str(ret['status']).lower()}; it cannot be processed")
    if not todo:
        raise AdminApiError(f"return {name} has nothing left to process")
    items: list[dict[str, Any]] = [{"id": line["id"], "quantity": int(line["processableQuantity"])} for line in todo]
    _dispose(client, ret, todo, items, request.restock)
    data: dict[str, Any] = {"returnId": ret["id"], "returnLineItems": items, "notifyCustomer": False,
                            "note": f"{request.note} {marker(request.idempotency_key)}".strip()}
    if request.refund:
        transactions = _suggested_transactions(client, ret["id"], items)
        if transactions:
            data["financialTransfer"] = {"issueRefund": {"orderTransactions": transactions}}
    payload = client.graphql(PROCESS_RETURN, {"input": data})["returnProcess"]
    if payload["userErrors"]:
        raise AdminApiError(f"return {name}: " + "; ".join(str(e["message"]) for e in payload["userErrors"]))
    if "financialTransfer" not in data:
        return ProcessReturnResult(None)
    before = {refund["id"] for refund in refunds}
    made = [refund for refund in (payload["return"] or {}).get("refunds", {}).get("nodes", [])
            if refund["id"] not in before]
    return ProcessReturnResult(_pick(made, request.idempotency_key, already_done=False))


def _suggested_transactions(client: ShopifyAdminClient, return_gid: str,
                            items: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The payments to refund and how much, as Shopify suggests; none when it suggests no refund (or an invoice)."""
    lines = [{"id": item["id"], "quantity": item["quantity"]} for item in items]
    node = client.graphql(SUGGESTED_OUTCOME, {"id": return_gid, "lines": lines})["return"]
    transfer = ((node or {}).get("suggestedFinancialOutcome") or {}).get("financialTransfer") or {}
    if transfer.get("__typename") != "RefundReturnOutcome":
        return []
    transactions = []
    for tx in transfer["suggestedTransactions"]:
        money = tx["amountSet"]["presentmentMoney"]  # returnProcess takes amounts in the order's presentment currency
        if Decimal(str(money["amount"])) <= 0:
            continue
        parent = (tx.get("parentTransaction") or {}).get("id")
        if not parent:
            raise AdminApiError(f"Shopify suggests refunding {money['amount']} {money['currencyCode']} through "
                                f"{tx.get('gateway') or 'a gateway'} with no payment to refund; refund it in Shopify")
        transactions.append({"parentId": parent, "transactionAmount": {"amount": str(money["amount"]),
                                                                       "currencyCode": money["currencyCode"]}})
    return transactions


def _dispose(client: ShopifyAdminClient, ret: Mapping[str, Any], todo: Sequence[Mapping[str, Any]],
             items: Sequence[dict[str, Any]], restock: bool) -> None:
    """Restock where the item was fulfilled from (or not at all); with no known location the merchant decides."""
    open_lines: dict[str, list[Any]] = {}  # fulfillment line item -> [reverse fulfillment line, units not disposed]
    for rfo in ret["reverseFulfillmentOrders"]["nodes"]:
        for line in rfo["lineItems"]["nodes"]:
            fulfilled = (line.get("fulfillmentLineItem") or {}).get("id")
            left = int(line["totalQuantity"]) - sum(int(d["quantity"]) for d in line.get("dispositions") or [])
            if fulfilled and left > 0:
                open_lines[fulfilled] = [line["id"], left]
    if not open_lines:
        return
    locations = _locations(client, ret["order"]["id"]) if restock else {}
    for line, item in zip(todo, items, strict=True):
        fulfilled = (line.get("fulfillmentLineItem") or {}).get("id") or ""
        slot = open_lines.get(fulfilled)
        if slot is None or (restock and fulfilled not in locations):
            continue
        quantity = min(int(item["quantity"]), int(slot[1]))
        slot[1] -= quantity
        disposition = {"reverseFulfillmentOrderLineItemId": slot[0], "quantity": quantity,
                       "dispositionType": "RESTOCKED" if restock else "NOT_RESTOCKED"}
        if restock:
            disposition["locationId"] = locations[fulfilled]
        item["dispositions"] = [disposition]


def _locations(client: ShopifyAdminClient, order_gid: str) -> dict[str, str]:
    """Fulfillment line item -> the location it was fulfilled from (a fulfillment service may have none)."""
    order = client.graphql(FULFILLMENT_LOCATIONS, {"id": order_gid})["order"] or {}
    return {node["id"]: str(fulfillment["location"]["id"])
            for fulfillment in order.get("fulfillments") or [] if fulfillment.get("location")
            for node in fulfillment["fulfillmentLineItems"]["nodes"]}


def _pick(refunds: Sequence[Mapping[str, Any]], key: str, already_done: bool) -> RefundResult | None:
    """The refund carrying our key if Shopify kept the note on it, else the return's latest refund."""
    tagged = [refund for refund in refunds if marker(key) in (refund.get("note") or "")]
    pool = tagged or list(refunds)
    if not pool:
        return None
    refund = max(pool, key=lambda r: str(r.get("createdAt") or ""))
    shop_money = refund["totalRefundedSet"]["shopMoney"]
    return RefundResult(str(refund["id"]), Money(Decimal(str(shop_money["amount"])), shop_money["currencyCode"]),
                        already_done=already_done)
