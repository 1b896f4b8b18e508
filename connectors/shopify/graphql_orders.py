"""GraphQL Admin API order nodes, turned into the REST webhook shape the order normaliser reads."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from connectors.base import NormalizeError
from connectors.model import Order
from connectors.shopify.normalize import normalize_order

ORDERS_QUERY = """
query Orders($first: Int!, $after: String, $query: String) {
  orders(first: $first, after: $after, query: $query, sortKey: CREATED_AT) {
    nodes {
      id name email createdAt updatedAt cancelledAt customerLocale currencyCode
      displayFinancialStatus displayFulfillmentStatus tags
      totalPriceSet { shopMoney { amount currencyCode } }
      customer { id firstName lastName }
      shippingAddress { name company address1 address2 city provinceCode zip countryCodeV2 phone }
      lineItems(first: 100) {
        nodes { id title quantity sku variantTitle variant { id } product { id }
                originalUnitPriceSet { shopMoney { amount } } }
      }
      fulfillments(first: 20) {
        id status displayStatus createdAt updatedAt
        trackingInfo(first: 5) { company number url }
        fulfillmentLineItems(first: 100) { nodes { quantity lineItem { id } } }
      }
    }
    pageInfo { hasNextPage endCursor }
  }
}
"""

ORDERS_COUNT_QUERY = """
query OrdersCount($query: String) { ordersCount(query: $query, limit: null) { count } }
"""

# FulfillmentDisplayStatus -> the REST shipment_status word (None: no carrier news).
DISPLAY_STATUS: dict[str, str | None] = {
    "ATTEMPTED_DELIVERY": "attempted_delivery", "CONFIRMED": "confirmed", "DELIVERED": "delivered",
    "FAILURE": "failure", "NOT_DELIVERED": "failure", "IN_TRANSIT": "in_transit",
    "LABEL_PRINTED": "label_printed", "LABEL_PURCHASED": "label_purchased", "OUT_FOR_DELIVERY": "out_for_delivery",
    "PICKED_UP": "picked_up", "READY_FOR_PICKUP": "ready_for_pickup", "CARRIER_PICKED_UP": "carrier_picked_up",
    "DELAYED": "delayed", "FULFILLED": None, "MARKED_AS_FULFILLED": None, "SUBMITTED": None,
    "CANCELED": None, "LABEL_VOIDED": None,
}


def gid_number(gid: object) -> int | str:
    """gid://shopify/Order/820982911946154508 -> 820982911946154508, the id webhooks carry."""
    if not isinstance(gid, str) or "/" not in gid:
        raise NormalizeError(f"not a Shopify GID: {gid!r}")
    tail = gid.rsplit("/", 1)[1].split("?", 1)[0]
    return int(tail) if tail.isdigit() else tail


def _node_id(value: Any) -> int | str | None:
    return gid_number(value["id"]) if isinstance(value, Mapping) and value.get("id") else None


def _money(value: Any) -> str | None:
    try:
        return str(value["shopMoney"]["amount"])
    except (KeyError, TypeError):
        return None


def _nodes(value: Any) -> list[Any]:
    if isinstance(value, Mapping):
        nodes = value.get("nodes")
        return list(nodes) if isinstance(nodes, list) else []
    return list(value) if isinstance(value, list) else []


def rest_order(node: Mapping[str, Any]) -> dict[str, Any]:
    """The REST orders/* body for a GraphQL order node (only the fields the normaliser reads)."""
    if not isinstance(node, Mapping):
        raise NormalizeError("order node must be an object")
    currency = node.get("currencyCode")
    customer = node.get("customer") if isinstance(node.get("customer"), Mapping) else None
    address = node.get("shippingAddress") if isinstance(node.get("shippingAddress"), Mapping) else None
    return {
        "id": gid_number(node.get("id")),
        "name": node.get("name"),
        "email": node.get("email"),
        "created_at": node.get("createdAt"),
        "updated_at": node.get("updatedAt"),
        "cancelled_at": node.get("cancelledAt"),
        "customer_locale": node.get("customerLocale"),
        "currency": currency,
        "total_price": _money(node.get("totalPriceSet")),
        "financial_status": str(node.get("displayFinancialStatus") or "").lower() or None,
        "fulfillment_status": str(node.get("displayFulfillmentStatus") or "").lower() or None,
        "tags": node.get("tags") or [],
        "customer": None if customer is None else {
            "id": _node_id(customer), "email": node.get("email"),
            "first_name": customer.get("firstName"), "last_name": customer.get("lastName"),
        },
        "shipping_address": None if address is None else {
            "name": address.get("name"), "company": address.get("company"), "address1": address.get("address1"),
            "address2": address.get("address2"), "city": address.get("city"),
            "province_code": address.get("provinceCode"), "zip": address.get("zip"),
            "country_code": address.get("countryCodeV2"), "phone": address.get("phone"),
        },
        "line_items": [
            {"id": gid_number(li.get("id")), "title": li.get("title"), "quantity": li.get("quantity"),
             "sku": li.get("sku"), "variant_title": li.get("variantTitle"),
             "price": _money(li.get("originalUnitPriceSet")), "variant_id": _node_id(li.get("variant")),
             "product_id": _node_id(li.get("product"))}
            for li in _nodes(node.get("lineItems")) if isinstance(li, Mapping)
        ],
        "fulfillments": [_rest_fulfillment(f) for f in _nodes(node.get("fulfillments")) if isinstance(f, Mapping)],
    }


def _rest_fulfillment(f: Mapping[str, Any]) -> dict[str, Any]:
    tracking = [t for t in (f.get("trackingInfo") or []) if isinstance(t, Mapping)]
    display = str(f.get("displayStatus") or "").upper()
    status = str(f.get("status") or "").lower()
    if display in ("CANCELED", "LABEL_VOIDED"):
        status = "cancelled"
    return {
        "id": gid_number(f.get("id")),
        "status": status or None,
        "shipment_status": DISPLAY_STATUS.get(display, display.lower() or None),
        "created_at": f.get("createdAt"),
        "updated_at": f.get("updatedAt"),
        "tracking_company": tracking[0].get("company") if tracking else None,
        "tracking_number": tracking[0].get("number") if tracking else None,
        "tracking_numbers": [t.get("number") for t in tracking if t.get("number")],
        "tracking_url": tracking[0].get("url") if tracking else None,
        "tracking_urls": [t.get("url") for t in tracking if t.get("url")],
        "line_items": [
            {"id": gid_number((i.get("lineItem") or {}).get("id")), "quantity": i.get("quantity")}
            for i in _nodes(f.get("fulfillmentLineItems")) if isinstance(i, Mapping)
        ],
    }


def normalize_graphql_order(node: Mapping[str, Any]) -> Order:
    """A GraphQL order node in the common model, with the same ids its webhooks use."""
    return normalize_order(rest_order(node))
