"""A local fake of Shopify's OAuth token endpoint and GraphQL Admin API, served over real HTTP."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

SHOP = "tienda-nueva.myshopify.com"
CLIENT_SECRET = "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"  # the app secret the test app is configured with


class FakeShopify:
    """Shopify's token endpoint: answers a known code once with an expiring offline token."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.codes = {"good-code"}
        self.refresh_tokens = {"shprt_fedcba9876543210"}
        self.subscriptions: list[dict[str, str]] = [
            {"id": "gid://shopify/WebhookSubscription/1", "topic": "ORDERS_CREATE",
             "uri": "http://shop.test/webhooks/shopify"},
            {"id": "gid://shopify/WebhookSubscription/2", "topic": "ORDERS_CREATE", "uri": "https://old.example/hook"},
        ]
        self.graphql_tokens: list[str] = []
        self.throttle_next = 1  # the first GraphQL call is answered THROTTLED, as a busy shop would
        self.orders: list[dict[str, Any]] = []
        self.orders_calls = 0
        self.orders_queries: list[str] = []
        self.throttle_orders_call = 3  # a page in the middle of a backfill is throttled too
        self.fail_orders_call: int | None = None
        self.tracking_updates: list[dict[str, Any]] = []
        # Orders that can be refunded: order GID -> {line item GID: unit price}; refunds made so far.
        self.prices: dict[str, dict[str, str]] = {}
        self.refunds: dict[str, list[dict[str, Any]]] = {}
        self.refund_inputs: list[dict[str, Any]] = []

    def refund_call(self, query: str, v: dict[str, Any]) -> dict[str, Any]:
        if "refundCreate" in query:
            data = v["input"]
            self.refund_inputs.append(data)
            total = sum(float(t["amount"]) for t in data["transactions"])
            if data["orderId"] not in self.prices or total <= 0:
                return {"refundCreate": {"refund": None, "userErrors": [
                    {"field": ["transactions"], "message": "Refund amount must be greater than 0"}]}}
            refund = {"id": f"gid://shopify/Refund/{len(self.refund_inputs)}", "note": data["note"],
                      "totalRefundedSet": {"shopMoney": {"amount": f"{total:.2f}", "currencyCode": "EUR"}}}
            self.refunds.setdefault(data["orderId"], []).append(refund)
            return {"refundCreate": {"refund": refund, "userErrors": []}}
        order = v["id"]
        if order not in self.prices:
            return {"order": None}
        if "suggestedRefund" in query:
            amount = sum(float(self.prices[order][li["lineItemId"]]) * li["quantity"] for li in v["lines"])
            return {"order": {"suggestedRefund": {
                "amountSet": {"shopMoney": {"amount": f"{amount:.2f}", "currencyCode": "EUR"}},
                "suggestedTransactions": [{"gateway": "shopify_payments", "kind": "SUGGESTED_REFUND",
                                           "parentTransaction": {"id": "gid://shopify/OrderTransaction/77"},
                                           "amountSet": {"shopMoney": {"amount": f"{amount:.2f}"}}}]}}}
        return {"order": {"refunds": self.refunds.get(order, [])}}

    def graphql(self, req: Request) -> Response:
        token = req.headers.get("X-Shopify-Access-Token", "")
        self.graphql_tokens.append(token)
        if token not in ("shpat_0123456789abcdef", "shpat_refreshed"):
            return Response(json.dumps({"errors": "[API] Invalid API key or access token"}), 401)
        body = json.loads(req.get_data())
        cost = {"requestedQueryCost": 10, "actualQueryCost": 10,
                "throttleStatus": {"maximumAvailable": 2000.0, "currentlyAvailable": 1990.0, "restoreRate": 100.0}}
        if self.throttle_next:
            self.throttle_next -= 1
            cost["throttleStatus"]["currentlyAvailable"] = 5.0
            return Response(json.dumps({"errors": [{"message": "Throttled", "extensions": {
                "code": "THROTTLED", "documentation": "https://shopify.dev/api/usage/rate-limits"}}],
                "extensions": {"cost": cost}}), 200, mimetype="application/json")
        if self.fail_orders_call is not None and "orders(" in body["query"]:
            self.orders_calls += 1
            if self.orders_calls == self.fail_orders_call:
                failure = {"errors": [{"message": "Internal error. Looks like something went wrong"}]}
                return Response(json.dumps(failure), 200, mimetype="application/json")
        elif "orders(" in body["query"]:
            self.orders_calls += 1
        if "orders(" in body["query"] and self.orders_calls == self.throttle_orders_call:
            self.throttle_orders_call = -1
            cost["throttleStatus"]["currentlyAvailable"] = 0.0
            return Response(json.dumps({"errors": [{"message": "Throttled", "extensions": {"code": "THROTTLED"}}],
                                        "extensions": {"cost": cost}}), 200, mimetype="application/json")
        if "ordersCount" in body["query"]:
            count = len(matches(self.orders, body["variables"].get("query") or ""))
            data_count = {"ordersCount": {"count": count, "precision": "EXACT"}}
            return Response(json.dumps({"data": data_count, "extensions": {"cost": cost}}), 200,
                            mimetype="application/json")
        if "orders(" in body["query"]:
            v = body["variables"]
            after = int(v.get("after") or 0)
            matching = matches(self.orders, v.get("query") or "")
            nodes = matching[after:after + int(v["first"])]
            self.orders_queries.append(v.get("query") or "")
            data_orders = {"orders": {"nodes": nodes, "pageInfo": {
                "hasNextPage": after + len(nodes) < len(matching), "endCursor": str(after + len(nodes))}}}
            return Response(json.dumps({"data": data_orders, "extensions": {"cost": cost}}), 200,
                            mimetype="application/json")
        if "refundCreate" in body["query"] or "suggestedRefund" in body["query"] or "refunds(first" in body["query"]:
            data_refund = self.refund_call(body["query"], body["variables"])
            return Response(json.dumps({"data": data_refund, "extensions": {"cost": cost}}), 200,
                            mimetype="application/json")
        if "fulfillmentTrackingInfoUpdate" in body["query"]:
            v = body["variables"]
            if not v["fulfillmentId"].startswith("gid://shopify/Fulfillment/"):
                result: dict[str, Any] = {"fulfillment": None, "userErrors": [
                    {"field": ["fulfillmentId"], "message": "Fulfillment does not exist."}]}
            else:
                self.tracking_updates.append(v)
                result = {"fulfillment": {"id": v["fulfillmentId"], "trackingInfo": [v["tracking"]]},
                          "userErrors": []}
            return Response(json.dumps({"data": {"fulfillmentTrackingInfoUpdate": result},
                                        "extensions": {"cost": cost}}), 200, mimetype="application/json")
        if "webhookSubscriptionCreate" in body["query"]:
            v = body["variables"]
            node = {"id": f"gid://shopify/WebhookSubscription/{len(self.subscriptions) + 1}",
                    "topic": v["topic"], "uri": v["uri"]}
            self.subscriptions.append(node)
            data: dict[str, Any] = {"webhookSubscriptionCreate": {"webhookSubscription": node, "userErrors": []}}
        else:
            after = int(body["variables"].get("after") or 0)
            page = self.subscriptions[after:after + 2]  # small pages, so paging is exercised
            data = {"webhookSubscriptions": {"nodes": page, "pageInfo": {
                "hasNextPage": after + 2 < len(self.subscriptions), "endCursor": str(after + 2)}}}
        return Response(json.dumps({"data": data, "extensions": {"cost": cost}}), 200, mimetype="application/json")

    def __call__(self, environ: Any, start_response: Any) -> Any:
        req = Request(environ)
        if req.path.endswith("/graphql.json") and req.method == "POST":
            return self.graphql(req)(environ, start_response)
        if req.path != "/admin/oauth/access_token" or req.method != "POST":
            return Response("not found", 404)(environ, start_response)
        body = json.loads(req.get_data())
        self.requests.append(body)
        if body.get("grant_type") == "urn:ietf:params:oauth:grant-type:token-exchange":
            if not body.get("subject_token") or body.get("client_secret") != CLIENT_SECRET:
                return Response(json.dumps({"error": "invalid_subject_token"}), 400)(environ, start_response)
            token = {"access_token": "shpat_0123456789abcdef", "scope": "read_orders,read_fulfillments",
                     "expires_in": 3600, "refresh_token": "shprt_fedcba9876543210",
                     "refresh_token_expires_in": 7776000}
            return Response(json.dumps(token), 200, mimetype="application/json")(environ, start_response)
        if body.get("grant_type") == "refresh_token":
            if body.get("refresh_token") not in self.refresh_tokens:
                return Response(json.dumps({"error": "invalid_grant"}), 400)(environ, start_response)
            self.refresh_tokens = {"shprt_rotated"}
            token = {"access_token": "shpat_refreshed", "scope": "read_orders,read_fulfillments",
                     "expires_in": 3600, "refresh_token": "shprt_rotated", "refresh_token_expires_in": 7776000}
            return Response(json.dumps(token), 200, mimetype="application/json")(environ, start_response)
        if body.get("code") not in self.codes or body.get("client_secret") != CLIENT_SECRET:
            resp = Response(json.dumps({"error": "invalid_request"}), 400, mimetype="application/json")
            return resp(environ, start_response)
        self.codes.discard(body["code"])
        token = {"access_token": "shpat_0123456789abcdef", "scope": "read_orders,read_fulfillments",
                 "expires_in": 3600, "refresh_token": "shprt_fedcba9876543210",
                 "refresh_token_expires_in": 7776000}
        return Response(json.dumps(token), 200, mimetype="application/json")(environ, start_response)


@pytest.fixture
def fake_shopify(app: Any) -> Iterator[FakeShopify]:
    fake = FakeShopify()
    server = make_server("127.0.0.1", 0, fake)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    app.config.update(SHOPIFY_BASE_URL=f"http://127.0.0.1:{server.server_port}", SHOPIFY_API_KEY="test-key")
    try:
        yield fake
    finally:
        server.shutdown()
        app.config.update(SHOPIFY_BASE_URL=None, SHOPIFY_API_KEY="")




def graphql_order(i: int, delivered: bool = False) -> dict[str, Any]:
    """An order node as the GraphQL Admin API returns it, with one fulfillment carrying tracking."""
    oid = 5_800_000_000_000_000_000 + i
    fulfillments = []
    if i % 2 == 0:
        fulfillments.append({
            "id": f"gid://shopify/Fulfillment/{oid + 1}", "status": "SUCCESS",
            "displayStatus": "DELIVERED" if delivered else "IN_TRANSIT",
            "createdAt": "2026-11-02T10:00:00Z", "updatedAt": "2026-11-03T10:00:00Z",
            "trackingInfo": [{"company": "Correos", "number": f"PQ4F6P07{i:015d}",
                              "url": f"https://www.correos.es/track?n=PQ4F6P07{i:015d}"}],
            "fulfillmentLineItems": {"nodes": [
                {"quantity": 1, "lineItem": {"id": f"gid://shopify/LineItem/{oid + 2}"}}]},
        })
    return {
        "id": f"gid://shopify/Order/{oid}", "name": f"#{5000 + i}", "email": f"cliente{i}@example.com",
        "createdAt": "2026-11-01T09:30:00Z", "updatedAt": "2026-11-03T10:00:00Z", "cancelledAt": None,
        "customerLocale": "es" if i % 3 else "en", "currencyCode": "EUR",
        "displayFinancialStatus": "PAID", "displayFulfillmentStatus": "FULFILLED" if fulfillments else "UNFULFILLED",
        "totalPriceSet": {"shopMoney": {"amount": "39.90", "currencyCode": "EUR"}},
        "customer": {"id": f"gid://shopify/Customer/{oid + 3}", "firstName": "Cliente", "lastName": str(i)},
        "shippingAddress": {"name": f"Cliente {i}", "company": None, "address1": "Gran Vía 1", "address2": None,
                            "city": "Madrid", "provinceCode": "M", "zip": "28013", "countryCodeV2": "ES",
                            "phone": None},
        "lineItems": {"nodes": [{
            "id": f"gid://shopify/LineItem/{oid + 2}", "title": "Camiseta", "quantity": 1, "sku": "TS-1",
            "variantTitle": "M", "variant": {"id": "gid://shopify/ProductVariant/44"},
            "product": {"id": "gid://shopify/Product/45"},
            "originalUnitPriceSet": {"shopMoney": {"amount": "39.90", "currencyCode": "EUR"}},
        }]},
        "fulfillments": fulfillments,
    }


def matches(orders: list[dict[str, Any]], search: str) -> list[dict[str, Any]]:
    """Shopify's search syntax, as far as the app uses it: created_at:>=T or updated_at:>=T."""
    if not search:
        return orders
    field, _, value = search.partition(":>=")
    key = {"created_at": "createdAt", "updated_at": "updatedAt"}[field]
    since = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return [o for o in orders if datetime.fromisoformat(o[key].replace("Z", "+00:00")) >= since]
