"""Writes behind the Connector Protocol, against the local fake Shopify Admin API over HTTP."""

from __future__ import annotations

from typing import Any

import pytest

from connectors.base import ShopAccess, TrackingUpdate, get_connector
from connectors.model import Money
from connectors.shopify.admin import AdminApiError, ShopifyAdminClient, update_tracking
from tests.fake_shopify import SHOP, FakeShopify


def access(app: Any) -> ShopAccess:
    return ShopAccess(SHOP, "shpat_0123456789abcdef", app.config["SHOPIFY_BASE_URL"])


def test_add_tracking_to_a_fulfillment(app: Any, fake_shopify: FakeShopify) -> None:
    fake_shopify.throttle_next = 0
    get_connector("shopify").add_tracking(access(app), "6102938475610293847", "4812345678901234567",
                                          TrackingUpdate("1Z999AA10123456784", "UPS", "https://www.ups.com/track"))
    (sent,) = fake_shopify.tracking_updates
    assert sent["fulfillmentId"] == "gid://shopify/Fulfillment/4812345678901234567"
    assert sent["tracking"] == {"number": "1Z999AA10123456784", "company": "UPS", "url": "https://www.ups.com/track"}
    assert sent["notify"] is False  # Postventa sends its own email


def test_platform_errors_are_raised_not_swallowed(app: Any, fake_shopify: FakeShopify) -> None:
    fake_shopify.throttle_next = 0
    client = ShopifyAdminClient(SHOP, "shpat_0123456789abcdef", app.config["SHOPIFY_BASE_URL"])
    with pytest.raises(AdminApiError, match="does not exist"):
        update_tracking(client, "gid://shopify/Order/1", "X", None, None, False)
    revoked = ShopifyAdminClient(SHOP, "shpat_revoked", app.config["SHOPIFY_BASE_URL"])
    with pytest.raises(AdminApiError, match="refused the access token"):
        revoked.subscriptions()


def test_refund_is_created_once_per_key(app: Any, fake_shopify: FakeShopify) -> None:
    from decimal import Decimal

    from connectors.base import RefundRequest

    fake_shopify.throttle_next = 0
    order = "gid://shopify/Order/6102938475610293847"
    fake_shopify.prices = {order: {"gid://shopify/LineItem/13001": "24.90", "gid://shopify/LineItem/13002": "9.50"}}
    request = RefundRequest("6102938475610293847", (("13001", 2),), "rma-41", note="Devolución RMA-41")
    shopify = get_connector("shopify")
    first = shopify.create_refund(access(app), request)
    assert first.amount.amount == Decimal("49.80") and first.amount.currency == "EUR" and not first.already_done
    sent = fake_shopify.refund_inputs[0]
    assert sent["refundLineItems"] == [{"lineItemId": "gid://shopify/LineItem/13001", "quantity": 2,
                                        "restockType": "RETURN"}]
    assert sent["transactions"][0]["parentId"] == "gid://shopify/OrderTransaction/77"
    assert sent["notify"] is False
    # The job retried after a crash: the earlier refund is found by its key, no second one is made.
    again = shopify.create_refund(access(app), request)
    assert again.already_done and again.external_id == first.external_id
    assert len(fake_shopify.refund_inputs) == 1
    # A partial amount caps the transaction.
    partial = shopify.create_refund(access(app), RefundRequest(
        "6102938475610293847", (("13002", 1),), "rma-42", amount=Money(Decimal("5.00"), "EUR")))
    assert partial.amount.amount == Decimal("5.00")


def test_refund_errors_are_raised(app: Any, fake_shopify: FakeShopify) -> None:
    from connectors.base import RefundRequest

    fake_shopify.throttle_next = 0
    with pytest.raises(AdminApiError, match="not found"):
        get_connector("shopify").create_refund(access(app), RefundRequest("999", (("1", 1),), "rma-x"))


ORDER_GID = "gid://shopify/Order/6102938475610293847"


def _fulfilled(fake: FakeShopify) -> None:
    fake.throttle_next = 0
    fake.fulfilled = {ORDER_GID: [
        {"id": "gid://shopify/FulfillmentLineItem/801", "line_item": "gid://shopify/LineItem/13001", "quantity": 1},
        {"id": "gid://shopify/FulfillmentLineItem/802", "line_item": "gid://shopify/LineItem/13001", "quantity": 1},
        {"id": "gid://shopify/FulfillmentLineItem/803", "line_item": "gid://shopify/LineItem/13002", "quantity": 1},
    ]}


def test_return_is_created_open_once_per_key(app: Any, fake_shopify: FakeShopify) -> None:
    from connectors.base import ReturnRequest
    from connectors.model import ReturnLine, ReturnStatus

    _fulfilled(fake_shopify)
    request = ReturnRequest("6102938475610293847", (
        ReturnLine("13001", 2, "size_too_small", "Me queda pequeña"), ReturnLine("13002", 1, "dañado"),
    ), "rma-77")
    shopify = get_connector("shopify")
    first = shopify.create_return(access(app), request)
    assert first.status is ReturnStatus.OPEN and first.name == "#1001-R1" and not first.already_done
    (ret,) = fake_shopify.returns.values()
    # Two units of one order line were fulfilled separately: the return spreads over both fulfillment lines.
    assert [(line["fulfillmentLineItemId"], line["quantity"], line["returnReason"]) for line in ret["lines"]] == [
        ("gid://shopify/FulfillmentLineItem/801", 1, "SIZE_TOO_SMALL"),
        ("gid://shopify/FulfillmentLineItem/802", 1, "SIZE_TOO_SMALL"),
        ("gid://shopify/FulfillmentLineItem/803", 1, "OTHER"),  # a reason Shopify has no word for goes as OTHER
    ]
    assert ret["lines"][0]["returnReasonNote"] == "Me queda pequeña [postventa:rma-77]"
    assert ret["lines"][2]["returnReasonNote"] == "dañado"
    again = shopify.create_return(access(app), request)  # a retry after a lost answer
    assert again.external_id == first.external_id and again.already_done
    assert len(fake_shopify.returns) == 1


def test_return_of_more_than_was_fulfilled_is_refused(app: Any, fake_shopify: FakeShopify) -> None:
    from connectors.base import ReturnRequest
    from connectors.model import ReturnLine
    from connectors.shopify.returns import NotReturnable

    _fulfilled(fake_shopify)
    with pytest.raises(NotReturnable, match="13002: 1 more than Shopify can take back"):
        get_connector("shopify").create_return(access(app), ReturnRequest(
            "6102938475610293847", (ReturnLine("13002", 2),), "rma-78"))
    assert fake_shopify.returns == {}
    with pytest.raises(AdminApiError, match="order 999 not found"):
        get_connector("shopify").create_return(access(app), ReturnRequest("999", (ReturnLine("1", 1),), "k"))


def test_requested_return_is_approved_or_declined_once(app: Any, fake_shopify: FakeShopify) -> None:
    from connectors.model import ReturnStatus

    _fulfilled(fake_shopify)
    for rid in ("gid://shopify/Return/1", "gid://shopify/Return/2"):
        fake_shopify.returns[rid] = {"id": rid, "orderId": ORDER_GID, "name": "#1001-R1", "status": "REQUESTED",
                                     "deliveries": [], "lines": []}
    shopify = get_connector("shopify")
    approved = shopify.approve_return(access(app), "1")
    assert approved.status is ReturnStatus.OPEN and not approved.already_done
    assert shopify.approve_return(access(app), "1").already_done  # approving twice is harmless
    declined = shopify.decline_return(access(app), "2", "Artículo en liquidación")
    assert declined.status is ReturnStatus.DECLINED and fake_shopify.returns["gid://shopify/Return/2"]["decline"] == \
        "Artículo en liquidación"
    with pytest.raises(AdminApiError, match="is declined; it cannot be approved"):
        shopify.approve_return(access(app), "2")
    with pytest.raises(AdminApiError, match="return 404 not found"):
        shopify.approve_return(access(app), "404")


def test_return_label_and_tracking_make_one_reverse_delivery(app: Any, fake_shopify: FakeShopify) -> None:
    from connectors.base import ReturnRequest, ReturnShipping
    from connectors.model import ReturnLine

    _fulfilled(fake_shopify)
    shopify = get_connector("shopify")
    ret = shopify.create_return(access(app), ReturnRequest("6102938475610293847", (ReturnLine("13002", 1),), "rma-9"))
    shipping = ReturnShipping("PK43210987654321", "https://s.correos.es/PK43210987654321",
                              "https://postventa.example/labels/rma-9.pdf")
    first = shopify.add_return_shipping(access(app), ret.external_id, shipping)
    again = shopify.add_return_shipping(access(app), ret.external_id, shipping)
    assert first == again == "gid://shopify/ReverseDelivery/1"
    (delivery,) = fake_shopify.returns[ret.external_id]["deliveries"]
    assert delivery["tracking"] == {"number": "PK43210987654321", "url": "https://s.correos.es/PK43210987654321"}
    assert delivery["label"] == {"fileUrl": "https://postventa.example/labels/rma-9.pdf"}
