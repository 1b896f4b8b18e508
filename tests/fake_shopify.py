"""A local fake of Shopify's OAuth token endpoint and GraphQL Admin API, served over real HTTP."""

from __future__ import annotations

import json
import re
import secrets
import threading
from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal
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
        # Returns: order GID -> fulfillment line items [{id, line_item, quantity}] that can go back.
        self.fulfilled: dict[str, list[dict[str, Any]]] = {}
        self.returns: dict[str, dict[str, Any]] = {}  # return GID -> return, as Shopify keeps it
        self.return_calls: list[str] = []
        # Products, store credit (gift cards) and exchanges (draft orders), in the shop's currency.
        self.currency = "EUR"
        self.products: dict[str, dict[str, Any]] = {}  # product GID -> Product node (see graphql_product)
        self.shop_orders: dict[str, dict[str, Any]] = {}  # order GID -> {id, name, email, shippingAddress}
        self.metafields: dict[tuple[str, str, str], str] = {}  # (owner GID, namespace, key) -> value
        self.gift_cards: list[dict[str, Any]] = []  # with the full code, which the API never shows again
        self.unindexed: set[str] = set()  # gift card GIDs Shopify's search does not show yet
        self.drafts: dict[str, dict[str, Any]] = {}  # draft order GID -> draft
        self.created_orders: list[dict[str, Any]] = []  # orders made by completing drafts
        self.lose_answer: set[str] = set()  # mutations whose work is done but whose answer never arrives (once each)
        # returnProcess: every input received, the returns the merchant processes in the admin just before our
        # call lands (a race), and the units restocked (location GID, quantity).
        self.return_process_inputs: list[dict[str, Any]] = []
        self.process_behind: set[str] = set()
        self.restocked: list[tuple[str, int]] = []
        self.aftersale_ops: list[str] = []

    AFTERSALE_OPS = ("nodes(ids:", "metafieldsSet", "metafield(namespace", "giftCardCreate", "giftCards(",
                     "draftOrderCreate", "draftOrderComplete", "draftOrders(", "shippingAddress { firstName")

    def aftersale_call(self, query: str, v: dict[str, Any]) -> dict[str, Any]:
        """Products, gift cards, order metafields and draft orders, with the userErrors Shopify gives bad input."""
        op = next(o for o in self.AFTERSALE_OPS if o in query)
        self.aftersale_ops.append(op)
        if op == "nodes(ids:":
            for node_id in v["ids"]:
                if not re.fullmatch(r"gid://shopify/\w+/\d+", node_id):
                    raise GraphQLError(f"Invalid global id '{node_id}'")
            return {"shop": {"currencyCode": self.currency}, "nodes": [
                self.products.get(i) if i.startswith("gid://shopify/Product/") or i not in self._variants() else {}
                for i in v["ids"]]}
        if op == "metafield(namespace":
            order = self.shop_orders.get(v["id"])
            value = self.metafields.get((v["id"], v["namespace"], v["key"])) if order else None
            return {"shop": {"currencyCode": self.currency}, "order": None if order is None else {
                "id": order["id"], "name": order["name"], "metafield": None if value is None else {"value": value}}}
        if op == "shippingAddress { firstName":
            order = self.shop_orders.get(v["id"])
            return {"order": None if order is None else dict(order)}
        if op == "metafieldsSet":
            return {"metafieldsSet": self._set_metafields(v["metafields"])}
        if op == "giftCards(":
            wanted = v["query"].strip().lower()
            return {"giftCards": {"nodes": [self._card_node(c) for c in self.gift_cards
                                            if wanted and wanted in c["code"] and c["id"] not in self.unindexed]}}
        if op == "giftCardCreate":
            return {"giftCardCreate": self._create_gift_card(v["input"])}
        if op == "draftOrders(":
            match = re.fullmatch(r'tag:"?([^"]+)"?', v["query"].strip())
            tag = match.group(1).lower() if match else None
            return {"draftOrders": {"nodes": [self._draft_node(d) for d in self.drafts.values()
                                              if tag in [t.lower() for t in d["tags"]]]}}
        if op == "draftOrderCreate":
            return {"draftOrderCreate": self._create_draft(v["input"])}
        return {"draftOrderComplete": self._complete_draft(v["id"])}

    def _variants(self) -> dict[str, dict[str, Any]]:
        return {var["id"]: var for p in self.products.values() for var in p["variants"]["nodes"]}

    def _set_metafields(self, metafields: list[dict[str, Any]]) -> dict[str, Any]:
        for i, mf in enumerate(metafields):
            where = (mf["ownerId"], mf["namespace"], mf["key"])
            error = None
            if mf["ownerId"] not in self.shop_orders:
                error = ("INVALID", "ownerId", "Owner does not exist.")
            elif not re.fullmatch(r"[A-Za-z0-9_-]{2,64}", mf["key"]):
                error = ("INVALID", "key", "Key is invalid.")
            elif "compareDigest" in mf and mf["compareDigest"] is None and where in self.metafields:
                error = ("STALE_OBJECT", "compareDigest", "The metafield has been modified since it was loaded.")
            if error:
                return {"metafields": None, "userErrors": [
                    {"field": ["metafields", str(i), error[1]], "code": error[0], "message": error[2]}]}
        for mf in metafields:
            self.metafields[(mf["ownerId"], mf["namespace"], mf["key"])] = mf["value"]
        return {"metafields": [{"key": mf["key"], "value": mf["value"]} for mf in metafields], "userErrors": []}

    def _card_node(self, card: dict[str, Any]) -> dict[str, Any]:
        return {"id": card["id"], "lastCharacters": card["code"][-4:],
                "initialValue": {"amount": card["initialValue"], "currencyCode": self.currency}}

    def _create_gift_card(self, data: dict[str, Any]) -> dict[str, Any]:
        def error(field: str, code: str, message: str) -> dict[str, Any]:
            return {"giftCard": None, "giftCardCode": None,
                    "userErrors": [{"field": ["input", field], "code": code, "message": message}]}

        value = Decimal(str(data["initialValue"]))
        code = str(data.get("code") or secrets.token_hex(8)).lower()
        if value <= 0:
            return error("initialValue", "GREATER_THAN", "Initial value must be greater than 0")
        if not re.fullmatch(r"[a-z0-9]{8,20}", code):
            return error("code", "INVALID", "Code must be 8-20 characters long and contain only letters and numbers")
        if any(c["code"] == code for c in self.gift_cards):
            return error("code", "TAKEN", "Code has already been taken")
        card = {"id": f"gid://shopify/GiftCard/{700 + len(self.gift_cards)}", "code": code,
                "initialValue": f"{value:.2f}", "note": data.get("note")}
        self.gift_cards.append(card)
        return {"giftCard": self._card_node(card), "giftCardCode": code, "userErrors": []}

    @staticmethod
    def _draft_node(draft: dict[str, Any]) -> dict[str, Any]:
        return {"id": draft["id"], "name": draft["name"], "status": draft["status"], "tags": draft["tags"],
                "order": draft["order"]}

    def _create_draft(self, data: dict[str, Any]) -> dict[str, Any]:
        variants = self._variants()
        for i, line in enumerate(data.get("lineItems") or []):
            if line.get("variantId") not in variants:
                number = str(line.get("variantId")).rsplit("/", 1)[-1]
                return {"draftOrder": None, "userErrors": [{"field": ["lineItems", str(i), "variantId"],
                                                            "message": f"Product with ID {number} is no longer "
                                                                       "available."}]}
        if any(len(t) > 40 for t in data.get("tags") or []):
            return {"draftOrder": None, "userErrors": [{"field": ["tags"], "message": "Tags is too long"}]}
        total = sum(Decimal(variants[line["variantId"]]["price"]) * line["quantity"]
                    * (1 - Decimal(str((line.get("appliedDiscount") or {}).get("value", 0))) / 100)
                    for line in data["lineItems"])
        draft_id = f"gid://shopify/DraftOrder/{900 + len(self.drafts)}"
        self.drafts[draft_id] = {"id": draft_id, "name": f"#D{len(self.drafts) + 1}", "status": "OPEN",
                                 "tags": list(data.get("tags") or []), "order": None, "input": data,
                                 "total": f"{total:.2f}"}
        return {"draftOrder": {"id": draft_id, "name": self.drafts[draft_id]["name"], "status": "OPEN"},
                "userErrors": []}

    def _complete_draft(self, draft_id: str) -> dict[str, Any]:
        draft = self.drafts.get(draft_id)
        if draft is None:
            return {"draftOrder": None, "userErrors": [{"field": ["id"], "message": "Draft order does not exist"}]}
        if draft["status"] == "COMPLETED":
            return {"draftOrder": None, "userErrors": [{"field": None, "message": "Draft order has already been "
                                                                                   "completed"}]}
        order = {"id": f"gid://shopify/Order/{820_000 + len(self.created_orders)}",
                 "name": f"#{1040 + len(self.created_orders)}", "draft": draft_id, "total": draft["total"]}
        self.created_orders.append(order)
        draft.update(status="COMPLETED", order={"id": order["id"], "name": order["name"]})
        return {"draftOrder": {"id": draft_id, "status": "COMPLETED", "order": draft["order"]}, "userErrors": []}

    def returns_call(self, query: str, v: dict[str, Any]) -> dict[str, Any]:
        """Shopify's return objects and mutations, with the userErrors it gives for bad requests."""
        name = next(op for op in ("returnCreate", "returnApproveRequest", "returnDeclineRequest",
                                  "reverseDeliveryCreateWithShipping", "returnableFulfillments", "returns(first",
                                  "return(id") if op in query)
        self.return_calls.append(name)
        if name == "returns(first":
            if v["id"] not in self.fulfilled:
                return {"order": None}
            mine = [r for r in self.returns.values() if r["orderId"] == v["id"]]
            return {"order": {"returns": {"nodes": [
                {"id": r["id"], "name": r["name"], "status": r["status"],
                 "returnLineItems": {"nodes": r["lines"]}} for r in mine]}}}
        if name == "returnableFulfillments":
            nodes = [{"quantity": f["quantity"] - self._returned(f["id"]),
                      "fulfillmentLineItem": {"id": f["id"], "lineItem": {"id": f["line_item"]}}}
                     for f in self.fulfilled.get(v["id"], [])]
            return {"returnableFulfillments": {"nodes": [{"returnableFulfillmentLineItems": {
                "nodes": [n for n in nodes if n["quantity"] > 0]}}]}}
        if name == "returnCreate":
            data = v["input"]
            known = {f["id"]: f for f in self.fulfilled.get(data["orderId"], [])}
            for line in data["returnLineItems"]:
                f = known.get(line["fulfillmentLineItemId"])
                if f is None or line["quantity"] > f["quantity"] - self._returned(f["id"]):
                    return {"returnCreate": {"return": None, "userErrors": [{
                        "field": ["returnInput", "returnLineItems"], "code": "INVALID",
                        "message": "Quantity is not available for return."}]}}
            rid = f"gid://shopify/Return/{9000 + len(self.returns)}"
            ret = {"id": rid, "orderId": data["orderId"], "name": f"#1001-R{len(self.returns) + 1}",
                   "status": "OPEN", "deliveries": [],
                   "lines": [{"id": f"gid://shopify/ReturnLineItem/{i}", "quantity": line["quantity"],
                              "fulfillmentLineItemId": line["fulfillmentLineItemId"],
                              "returnReason": line["returnReason"],
                              "returnReasonNote": line.get("returnReasonNote", "")}
                             for i, line in enumerate(data["returnLineItems"])]}
            self.returns[rid] = ret
            return {"returnCreate": {"return": self._node(ret), "userErrors": []}}
        if name == "return(id":
            ret = self.returns.get(v["id"])
            if ret is None:
                return {"return": None}
            rfo = {"id": ret["id"].replace("Return", "ReverseFulfillmentOrder"), "reverseDeliveries": {"nodes": [
                {"id": d["id"], "deliverable": {"tracking": d["tracking"]}} for d in ret["deliveries"]]}}
            return {"return": {**self._node(ret), "reverseFulfillmentOrders": {
                "nodes": [rfo] if ret["status"] in ("OPEN", "CLOSED") else []}}}
        if name in ("returnApproveRequest", "returnDeclineRequest"):
            ret = self.returns.get(v["input"]["id"])
            if ret is None or ret["status"] != "REQUESTED":
                return {name: {"return": None, "userErrors": [{"field": ["input", "id"], "code": "INVALID_STATE",
                                                                "message": "Return is not in a requested state."}]}}
            ret["status"] = "OPEN" if name == "returnApproveRequest" else "DECLINED"
            ret["decline"] = v["input"].get("declineNote")
            return {name: {"return": self._node(ret), "userErrors": []}}
        ret = next((r for r in self.returns.values()
                    if r["id"].replace("Return", "ReverseFulfillmentOrder") == v["rfo"]), None)
        if ret is None:
            return {name: {"reverseDelivery": None, "userErrors": [
                {"field": ["reverseFulfillmentOrderId"], "code": "NOT_FOUND", "message": "Not found."}]}}
        delivery = {"id": f"gid://shopify/ReverseDelivery/{len(ret['deliveries']) + 1}",
                    "tracking": v["tracking"], "label": v["label"]}
        ret["deliveries"].append(delivery)
        return {name: {"reverseDelivery": {"id": delivery["id"]}, "userErrors": []}}

    def _returned(self, fulfillment_line_item: str) -> int:
        return sum(line["quantity"] for r in self.returns.values() if r["status"] not in ("DECLINED", "CANCELED")
                   for line in r["lines"] if line["fulfillmentLineItemId"] == fulfillment_line_item)

    @staticmethod
    def _node(ret: dict[str, Any]) -> dict[str, Any]:
        return {"id": ret["id"], "name": ret["name"], "status": ret["status"]}

    PROCESS_OPS = ("returnProcess(", "processableQuantity", "suggestedFinancialOutcome(", "location { id }")

    def return_process_call(self, query: str, v: dict[str, Any]) -> dict[str, Any]:
        """returnProcess and what it needs: quantities left, Shopify's suggested refund, fulfillment locations."""
        if "returnProcess(" in query:
            return {"returnProcess": self._process_return(v["input"])}
        if "location { id }" in query:
            if v["id"] not in self.fulfilled:
                return {"order": None}
            return {"order": {"fulfillments": [
                {"location": {"id": f["location"]} if f.get("location") else None,
                 "fulfillmentLineItems": {"nodes": [{"id": f["id"]}]}} for f in self.fulfilled[v["id"]]]}}
        ret = self.returns.get(v["id"])
        if ret is None:
            return {"return": None}
        if "suggestedFinancialOutcome(" in query:
            amount = self._suggested_amount(ret, v["lines"])
            money = {"amount": f"{amount:.2f}", "currencyCode": self.currency}
            transfer = None if amount <= 0 else {
                "__typename": "RefundReturnOutcome", "amount": {"presentmentMoney": money},
                "suggestedTransactions": [{"gateway": "shopify_payments",
                                           "parentTransaction": {"id": "gid://shopify/OrderTransaction/77"},
                                           "amountSet": {"presentmentMoney": money}}]}
            return {"return": {"suggestedFinancialOutcome": {"financialTransfer": transfer}}}
        approved = ret["status"] in ("OPEN", "CLOSED")
        return {"return": {
            **self._node(ret), "order": {"id": ret["orderId"]},
            "returnLineItems": {"nodes": [
                {"id": line["id"], "quantity": line["quantity"],
                 "processableQuantity": line["quantity"] - line.get("processed", 0) if ret["status"] == "OPEN" else 0,
                 "processedQuantity": line.get("processed", 0),
                 "fulfillmentLineItem": {"id": line["fulfillmentLineItemId"]}} for line in ret["lines"]]},
            "reverseFulfillmentOrders": {"nodes": [{"lineItems": {"nodes": [
                {"id": self._rfo_line(line), "totalQuantity": line["quantity"],
                 "fulfillmentLineItem": {"id": line["fulfillmentLineItemId"]},
                 "dispositions": [{"quantity": q} for q in line.get("disposed", [])]} for line in ret["lines"]]}}]
                if approved else []},
            "refunds": {"nodes": self._return_refunds(ret)}}}

    @staticmethod
    def _rfo_line(line: dict[str, Any]) -> str:
        return str(line["id"]).replace("ReturnLineItem", "ReverseFulfillmentOrderLineItem")

    def _return_refunds(self, ret: dict[str, Any]) -> list[dict[str, Any]]:
        return [r for r in self.refunds.get(ret["orderId"], []) if r.get("return") == ret["id"]]

    def _suggested_amount(self, ret: dict[str, Any], lines: list[dict[str, Any]]) -> Decimal:
        """What the lines were paid: their order line's unit price times the units (no shipping, no fees)."""
        order_lines = {f["id"]: f["line_item"] for f in self.fulfilled.get(ret["orderId"], [])}
        prices = self.prices.get(ret["orderId"], {})
        by_id = {line["id"]: line for line in ret["lines"]}
        return sum((Decimal(prices.get(order_lines.get(by_id[li["id"]]["fulfillmentLineItemId"], ""), "0"))
                    * li["quantity"] for li in lines if li["id"] in by_id), Decimal("0"))

    def _process_return(self, data: dict[str, Any]) -> dict[str, Any]:
        """Processes the lines (once), disposes of them, refunds when asked, and closes the return when all is done."""
        self.return_process_inputs.append(data)

        def refuse(field: list[str], code: str, message: str) -> dict[str, Any]:
            return {"return": None, "userErrors": [{"field": field, "code": code, "message": message}]}

        ret = self.returns.get(data["returnId"])
        if ret is None:
            return refuse(["input", "returnId"], "NOT_FOUND", "Return does not exist.")
        if ret["id"] in self.process_behind:  # the merchant processed it in the admin a moment before we asked
            self.process_behind.discard(ret["id"])
            for line in ret["lines"]:
                line["processed"] = line["quantity"]
            ret["status"] = "CLOSED"
        by_id = {line["id"]: line for line in ret["lines"]}
        items = data.get("returnLineItems") or []
        for i, item in enumerate(items):
            line = by_id.get(item["id"])
            where = ["input", "returnLineItems", str(i)]
            if line is None:
                return refuse([*where, "id"], "NOT_FOUND", "Return line item does not exist.")
            if not 0 < item["quantity"] <= line["quantity"] - line.get("processed", 0):
                return refuse([*where, "quantity"], "INVALID",
                              "Quantity to process is greater than the processable quantity.")
            for d in item.get("dispositions") or []:
                if d["reverseFulfillmentOrderLineItemId"] != self._rfo_line(line) or d["quantity"] > item["quantity"]:
                    return refuse([*where, "dispositions"], "INVALID", "Disposition does not match the return line.")
                if d["quantity"] > line["quantity"] - sum(line.get("disposed", [])):
                    return refuse([*where, "dispositions"], "INVALID", "Quantity to dispose exceeds the quantity left.")
                if d["dispositionType"] == "RESTOCKED" and not d.get("locationId"):
                    return refuse([*where, "dispositions"], "INVALID", "Location is required to restock items.")
        if ret["status"] != "OPEN":
            return refuse(["input", "returnId"], "INVALID_STATE", "Return is not open.")
        refund_input = (data.get("financialTransfer") or {}).get("issueRefund")
        total = Decimal("0")
        if refund_input is not None:
            suggested = self._suggested_amount(ret, items)
            for tx in refund_input["orderTransactions"]:
                if tx["parentId"] != "gid://shopify/OrderTransaction/77":
                    return refuse(["input", "financialTransfer"], "INVALID", "Parent transaction does not exist.")
                total += Decimal(str(tx["transactionAmount"]["amount"]))
            if not 0 < total <= suggested:
                return refuse(["input", "financialTransfer"], "INVALID",
                              "Refund amount must be greater than 0 and not exceed the refundable amount.")
        for item in items:
            line = by_id[item["id"]]
            line["processed"] = line.get("processed", 0) + item["quantity"]
            for d in item.get("dispositions") or []:
                line.setdefault("disposed", []).append(d["quantity"])
                if d["dispositionType"] == "RESTOCKED":
                    self.restocked.append((d["locationId"], d["quantity"]))
        if refund_input is not None:
            count = sum(len(r) for r in self.refunds.values())
            self.refunds.setdefault(ret["orderId"], []).append({
                "id": f"gid://shopify/Refund/{500 + count}", "note": None, "return": ret["id"],
                "createdAt": f"2026-11-20T10:{count:02d}:00Z",
                "totalRefundedSet": {"shopMoney": {"amount": f"{total:.2f}", "currencyCode": self.currency}}})
        ret["note"] = data.get("note")
        if all(line.get("processed", 0) >= line["quantity"] for line in ret["lines"]):
            ret["status"] = "CLOSED"
        return {"return": {**self._node(ret), "refunds": {"nodes": self._return_refunds(ret)}}, "userErrors": []}

    def _answer(self, query: str, data: dict[str, Any], cost: dict[str, Any]) -> Response:
        """The data, unless this mutation is set to lose its answer: done, but the caller never hears back."""
        lost = next((op for op in self.lose_answer if op in query), None)
        if lost is not None:  # a crash, a dropped connection
            self.lose_answer.discard(lost)
            failure = {"errors": [{"message": "Internal error. Looks like something went wrong on our end."}]}
            return Response(json.dumps(failure), 200, mimetype="application/json")
        return Response(json.dumps({"data": data, "extensions": {"cost": cost}}), 200, mimetype="application/json")

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
        if any(op in body["query"] for op in self.AFTERSALE_OPS):
            try:
                data_aftersale = self.aftersale_call(body["query"], body["variables"])
            except GraphQLError as exc:
                return Response(json.dumps({"errors": [{"message": str(exc)}]}), 200, mimetype="application/json")
            return self._answer(body["query"], data_aftersale, cost)
        if any(op in body["query"] for op in self.PROCESS_OPS):  # before refunds: these read the return's refunds too
            return self._answer(body["query"], self.return_process_call(body["query"], body["variables"]), cost)
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
        if any(op in body["query"] for op in ("returnCreate", "returnApproveRequest", "returnDeclineRequest",
                                               "reverseDeliveryCreateWithShipping", "returnableFulfillments",
                                               "returns(first", "return(id")):
            data_return = self.returns_call(body["query"], body["variables"])
            return Response(json.dumps({"data": data_return, "extensions": {"cost": cost}}), 200,
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




class GraphQLError(Exception):
    """A request Shopify refuses as a whole (top-level errors, no data)."""


def graphql_product(product_id: int, title: str, tags: list[str], collections: list[str],
                    variants: list[tuple[int, str, str | None, str, bool]]) -> dict[str, Any]:
    """A Product node as the Admin API returns it; variants are (id, title, sku, price, availableForSale)."""
    return {"id": f"gid://shopify/Product/{product_id}", "title": title, "tags": tags,
            "collections": {"nodes": [{"handle": h} for h in collections]},
            "variants": {"nodes": [{"id": f"gid://shopify/ProductVariant/{vid}", "title": vtitle, "sku": sku,
                                    "price": price, "availableForSale": available}
                                   for vid, vtitle, sku, price, available in variants]}}


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
        "tags": ["backfilled"] if i % 2 else [],
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
