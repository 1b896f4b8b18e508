"""Closing a Shopify return with returnProcess, through the real connector, against the local fake over HTTP."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from connectors.base import (
    NotSupported,
    PlatformError,
    ProcessReturnRequest,
    ReturnRequest,
    ShopAccess,
    get_connector,
)
from connectors.model import Money, ReturnLine
from tests.fake_shopify import SHOP, FakeShopify

ORDER = "6102938475610293847"
ORDER_GID = f"gid://shopify/Order/{ORDER}"
WAREHOUSE = "gid://shopify/Location/61"


def access(app: Any) -> ShopAccess:
    return ShopAccess(SHOP, "shpat_0123456789abcdef", app.config["SHOPIFY_BASE_URL"])


def open_return(app: Any, fake: FakeShopify) -> str:
    """Two units of one line and one of another, fulfilled from the warehouse, paid 24.90 and 9.50 each."""
    fake.throttle_next = 0
    fake.fulfilled = {ORDER_GID: [
        {"id": "gid://shopify/FulfillmentLineItem/801", "line_item": "gid://shopify/LineItem/13001", "quantity": 2,
         "location": WAREHOUSE},
        {"id": "gid://shopify/FulfillmentLineItem/803", "line_item": "gid://shopify/LineItem/13002", "quantity": 1,
         "location": WAREHOUSE},
    ]}
    fake.prices = {ORDER_GID: {"gid://shopify/LineItem/13001": "24.90", "gid://shopify/LineItem/13002": "9.50"}}
    created = get_connector("shopify").create_return(access(app), ReturnRequest(
        ORDER, (ReturnLine("13001", 2, "size_too_small"), ReturnLine("13002", 1, "damaged")), "rma-7"))
    return created.external_id


def test_refund_outcome_processes_the_return_and_refunds_once(app: Any, fake_shopify: FakeShopify) -> None:
    rid = open_return(app, fake_shopify)
    result = get_connector("shopify").process_return(access(app), ProcessReturnRequest(
        rid, "rma-7:close", refund=True, note="Devolución RMA-7"))
    assert not result.already_done and result.refund is not None and not result.refund.already_done
    assert result.refund.amount == Money(Decimal("59.30"), "EUR")  # 2 x 24.90 + 9.50, as Shopify suggested
    (refund,) = fake_shopify.refunds[ORDER_GID]
    assert refund["id"] == result.refund.external_id and refund["return"] == rid
    assert fake_shopify.refund_inputs == []  # no separate refundCreate: the processing itself refunded
    ret = fake_shopify.returns[rid]
    assert ret["status"] == "CLOSED" and [line["processed"] for line in ret["lines"]] == [2, 1]
    (sent,) = fake_shopify.return_process_inputs
    assert sent["financialTransfer"] == {"issueRefund": {"orderTransactions": [
        {"parentId": "gid://shopify/OrderTransaction/77", "transactionAmount": {"amount": "59.30",
                                                                               "currencyCode": "EUR"}}]}}
    assert [(item["quantity"], item["dispositions"]) for item in sent["returnLineItems"]] == [
        (2, [{"reverseFulfillmentOrderLineItemId": "gid://shopify/ReverseFulfillmentOrderLineItem/0", "quantity": 2,
              "dispositionType": "RESTOCKED", "locationId": WAREHOUSE}]),
        (1, [{"reverseFulfillmentOrderLineItemId": "gid://shopify/ReverseFulfillmentOrderLineItem/1", "quantity": 1,
              "dispositionType": "RESTOCKED", "locationId": WAREHOUSE}]),
    ]
    assert fake_shopify.restocked == [(WAREHOUSE, 2), (WAREHOUSE, 1)]
    assert sent["notifyCustomer"] is False  # Postventa sends its own email
    assert sent["note"] == "Devolución RMA-7 [postventa:rma-7:close]"


def test_a_lost_answer_or_a_second_call_refunds_once_and_says_already_done(
        app: Any, fake_shopify: FakeShopify) -> None:
    rid = open_return(app, fake_shopify)
    shopify = get_connector("shopify")
    request = ProcessReturnRequest(rid, "rma-7:close", refund=True)
    fake_shopify.lose_answer = {"returnProcess"}  # Shopify processed and refunded, the worker never heard back
    with pytest.raises(PlatformError, match="Internal error"):
        shopify.process_return(access(app), request)
    (refund,) = fake_shopify.refunds[ORDER_GID]
    retried = shopify.process_return(access(app), request)
    assert retried.already_done and retried.refund is not None and retried.refund.already_done
    assert retried.refund.external_id == refund["id"] and retried.refund.amount == Money(Decimal("59.30"), "EUR")
    again = shopify.process_return(access(app), request)
    assert again.already_done and again.refund is not None and again.refund.external_id == refund["id"]
    assert len(fake_shopify.return_process_inputs) == 1 and len(fake_shopify.refunds[ORDER_GID]) == 1


def test_after_a_lost_answer_the_refund_found_is_the_one_the_processing_made(
        app: Any, fake_shopify: FakeShopify) -> None:
    rid = open_return(app, fake_shopify)
    fake_shopify.returns[rid]["lines"][1]["processed"] = 1  # the merchant refunded the damaged item the day before
    merchants = {"id": "gid://shopify/Refund/41", "note": "Artículo dañado", "return": rid,
                 "createdAt": "2026-11-19T09:00:00Z",
                 "totalRefundedSet": {"shopMoney": {"amount": "9.50", "currencyCode": "EUR"}}}
    fake_shopify.refunds = {ORDER_GID: [merchants]}
    shopify = get_connector("shopify")
    request = ProcessReturnRequest(rid, "rma-7:close", refund=True)
    fake_shopify.lose_answer = {"returnProcess"}
    with pytest.raises(PlatformError):
        shopify.process_return(access(app), request)
    retried = shopify.process_return(access(app), request)
    ours = fake_shopify.refunds[ORDER_GID][1]
    assert retried.already_done and retried.refund is not None and retried.refund.external_id == ours["id"]
    assert retried.refund.amount == Money(Decimal("49.80"), "EUR") and len(fake_shopify.return_process_inputs) == 1


def test_store_credit_or_exchange_closes_the_return_without_money(app: Any, fake_shopify: FakeShopify) -> None:
    rid = open_return(app, fake_shopify)
    shopify = get_connector("shopify")
    request = ProcessReturnRequest(rid, "rma-7:close", refund=False, restock=False)
    result = shopify.process_return(access(app), request)
    assert result.refund is None and not result.already_done
    assert fake_shopify.returns[rid]["status"] == "CLOSED" and fake_shopify.refunds.get(ORDER_GID, []) == []
    (sent,) = fake_shopify.return_process_inputs
    assert "financialTransfer" not in sent
    assert [item["dispositions"][0]["dispositionType"] for item in sent["returnLineItems"]] == ["NOT_RESTOCKED"] * 2
    assert fake_shopify.restocked == []
    again = shopify.process_return(access(app), request)
    assert again.already_done and again.refund is None and len(fake_shopify.return_process_inputs) == 1


def test_only_what_is_left_is_processed_and_refunded(app: Any, fake_shopify: FakeShopify) -> None:
    rid = open_return(app, fake_shopify)
    first, second = fake_shopify.returns[rid]["lines"]
    first.update(processed=1, disposed=[1])  # the merchant already processed and restocked one of the two units
    second.update(disposed=[1])  # and restocked the other item when the parcel arrived, without processing it
    result = get_connector("shopify").process_return(access(app), ProcessReturnRequest(rid, "rma-7:close", True))
    assert result.refund is not None and result.refund.amount == Money(Decimal("34.40"), "EUR")  # 24.90 + 9.50
    (sent,) = fake_shopify.return_process_inputs
    assert [(item["id"], item["quantity"], [d["quantity"] for d in item.get("dispositions", [])])
            for item in sent["returnLineItems"]] == [
        ("gid://shopify/ReturnLineItem/0", 1, [1]), ("gid://shopify/ReturnLineItem/1", 1, [])]
    assert fake_shopify.restocked == [(WAREHOUSE, 1)]
    assert fake_shopify.returns[rid]["status"] == "CLOSED"


def test_shopify_refusals_are_platform_errors_with_its_message(app: Any, fake_shopify: FakeShopify) -> None:
    rid = open_return(app, fake_shopify)
    shopify = get_connector("shopify")
    with pytest.raises(PlatformError, match="return 404 not found"):
        shopify.process_return(access(app), ProcessReturnRequest("404", "rma-x", refund=True))
    # The merchant processed it in the admin between our read and our write: Shopify refuses the second processing.
    fake_shopify.process_behind = {rid}
    with pytest.raises(PlatformError, match="Quantity to process is greater than the processable quantity"):
        shopify.process_return(access(app), ProcessReturnRequest(rid, "rma-7:close", refund=True))
    assert fake_shopify.refunds.get(ORDER_GID, []) == []
    requested = "gid://shopify/Return/77"
    fake_shopify.returns[requested] = {"id": requested, "orderId": ORDER_GID, "name": "#1001-R9",
                                       "status": "REQUESTED", "deliveries": [], "lines": []}
    with pytest.raises(PlatformError, match="#1001-R9 is requested; it cannot be processed"):
        shopify.process_return(access(app), ProcessReturnRequest("77", "rma-9", refund=True))


def test_woocommerce_has_no_returns_to_process() -> None:
    with pytest.raises(NotSupported):
        get_connector("woocommerce").process_return(ShopAccess("https://shop.example", "ck_x", secret="cs_x"),
                                                    ProcessReturnRequest("1", "k", refund=True))
