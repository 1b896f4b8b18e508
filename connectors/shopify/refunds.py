"""Refunds through the GraphQL Admin API: Shopify suggests the transactions, we create the refund once."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from connectors.base import RefundRequest, RefundResult
from connectors.model import Money
from connectors.shopify.admin import AdminApiError, ShopifyAdminClient, gid
from connectors.shopify.markers import marker

EXISTING_REFUNDS = """
query Refunds($id: ID!) {
  order(id: $id) { refunds(first: 50) { id note totalRefundedSet { shopMoney { amount currencyCode } } } }
}
"""

SUGGESTED_REFUND = """
query Suggest($id: ID!, $lines: [RefundLineItemInput!]) {
  order(id: $id) {
    suggestedRefund(refundLineItems: $lines, suggestFullRefund: false) {
      amountSet { shopMoney { amount currencyCode } }
      suggestedTransactions { gateway kind parentTransaction { id } amountSet { shopMoney { amount } } }
    }
  }
}
"""

CREATE_REFUND = """
mutation Refund($input: RefundInput!) {
  refundCreate(input: $input) {
    refund { id totalRefundedSet { shopMoney { amount currencyCode } } }
    userErrors { field message }
  }
}
"""


def _money(value: Any) -> Money:
    shop_money = value["shopMoney"]
    return Money(Decimal(str(shop_money["amount"])), shop_money["currencyCode"])


def create_refund(client: ShopifyAdminClient, request: RefundRequest) -> RefundResult:
    order_gid = gid("Order", request.order_external_id)
    existing = client.graphql(EXISTING_REFUNDS, {"id": order_gid})["order"]
    if existing is None:
        raise AdminApiError(f"order {request.order_external_id} not found")
    for refund in existing["refunds"]:
        if marker(request.idempotency_key) in (refund.get("note") or ""):
            return RefundResult(refund["id"], _money(refund["totalRefundedSet"]), already_done=True)
    restock = "RETURN" if request.restock else "NO_RESTOCK"
    lines = [{"lineItemId": gid("LineItem", item), "quantity": qty, "restockType": restock}
             for item, qty in request.lines]
    suggested = client.graphql(SUGGESTED_REFUND, {"id": order_gid, "lines": lines})["order"]["suggestedRefund"]
    transactions = []
    remaining = request.amount.amount if request.amount is not None else None
    for tx in suggested["suggestedTransactions"]:
        amount = Decimal(str(tx["amountSet"]["shopMoney"]["amount"]))
        if remaining is not None:
            amount = min(amount, remaining)
            remaining -= amount
        if amount > 0:
            transactions.append({"orderId": order_gid, "parentId": tx["parentTransaction"]["id"],
                                 "gateway": tx["gateway"], "kind": "REFUND", "amount": str(amount)})
    note = f"{request.note} {marker(request.idempotency_key)}".strip()
    result = client.graphql(CREATE_REFUND, {"input": {
        "orderId": order_gid, "note": note, "notify": False, "refundLineItems": lines, "transactions": transactions,
    }})["refundCreate"]
    if result["userErrors"]:
        raise AdminApiError("; ".join(e["message"] for e in result["userErrors"]))
    refund = result["refund"]
    return RefundResult(refund["id"], _money(refund["totalRefundedSet"]))
