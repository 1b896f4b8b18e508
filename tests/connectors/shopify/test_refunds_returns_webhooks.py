"""refunds/create and returns/* bodies, in the shape Shopify sends them, as common-model changes."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from connectors.base import NormalizeError, RefundChange, ReturnChange, get_connector
from connectors.model import Money, ReturnLine, ReturnStatus
from tests.conftest import load_fixture

ORDER_ID = "6102938475610293847"


def test_refund_webhook() -> None:
    change = get_connector("shopify").normalize_webhook("refunds/create",
                                                        load_fixture("shopify", "refunds_create.json"))
    assert isinstance(change, RefundChange)
    assert change.order_external_id == ORDER_ID
    assert change.refund.external_id == "1029384756102938475"
    assert change.refund.amount == Money(Decimal("29.95"), "EUR")
    assert change.refund.created_at == datetime(2026, 11, 12, 15, 20, 41, tzinfo=UTC)
    assert change.refund.note == "Talla equivocada"


def test_refund_that_moved_no_money_takes_the_lines_currency() -> None:
    payload = load_fixture("shopify", "refunds_create.json")
    payload["transactions"] = []
    payload["refund_line_items"][0]["subtotal_set"]["shop_money"]["currency_code"] = "MXN"
    change = get_connector("shopify").normalize_webhook("refunds/create", payload)
    assert isinstance(change, RefundChange) and change.refund.amount == Money(Decimal("0"), "MXN")
    payload["refund_line_items"] = []  # then the duties total's
    change = get_connector("shopify").normalize_webhook("refunds/create", payload)
    assert isinstance(change, RefundChange) and change.refund.amount == Money(Decimal("0"), "EUR")
    del payload["total_duties_set"]
    with pytest.raises(NormalizeError, match="names a currency"):
        get_connector("shopify").normalize_webhook("refunds/create", payload)


@pytest.mark.parametrize(("topic", "fixture", "status"), [
    ("returns/request", "returns_request.json", ReturnStatus.REQUESTED),
    ("returns/approve", "returns_approve.json", ReturnStatus.OPEN),
    ("returns/decline", "returns_decline.json", ReturnStatus.DECLINED),
    ("returns/cancel", "returns_cancel.json", ReturnStatus.CANCELED),
    ("returns/close", "returns_close.json", ReturnStatus.CLOSED),
    ("returns/reopen", "returns_reopen.json", ReturnStatus.OPEN),
])
def test_return_webhooks(topic: str, fixture: str, status: ReturnStatus) -> None:
    change = get_connector("shopify").normalize_webhook(topic, load_fixture("shopify", fixture))
    assert isinstance(change, ReturnChange)
    assert change.ret.external_id == "9182736450" and change.ret.order_external_id == ORDER_ID
    assert change.ret.status is status and change.ret.name == "#1001-R1"
    assert change.reopened is (topic == "returns/reopen")


def test_requested_return_lines_point_at_order_line_items() -> None:
    change = get_connector("shopify").normalize_webhook("returns/request",
                                                        load_fixture("shopify", "returns_request.json"))
    assert isinstance(change, ReturnChange)
    assert change.ret.lines == (ReturnLine("15678901234567891", 1, "size_too_small",
                                           "Me queda pequeña, ¿puedo cambiarla por una L?"),)


def test_a_return_we_made_carries_our_key_back() -> None:
    payload = load_fixture("shopify", "returns_approve.json")
    change = get_connector("shopify").normalize_webhook("returns/approve", payload)
    assert isinstance(change, ReturnChange) and change.ret.key is None  # made in Shopify's admin
    payload["return_line_items"][0]["return_reason_note"] = "Too small [postventa:postventa-return-42]"
    change = get_connector("shopify").normalize_webhook("returns/approve", payload)
    assert isinstance(change, ReturnChange) and change.ret.key == "postventa-return-42"


def test_return_status_missing_falls_back_to_the_topic() -> None:
    payload = load_fixture("shopify", "returns_close.json")
    del payload["status"]
    change = get_connector("shopify").normalize_webhook("returns/close", payload)
    assert isinstance(change, ReturnChange) and change.ret.status is ReturnStatus.CLOSED


@pytest.mark.parametrize(("mutate", "message"), [
    (lambda p: p.update(status="lost"), "return.status: unknown return status 'lost'"),
    (lambda p: p.update(return_line_items=5), "return.return_line_items: expected a list, got int"),
    (lambda p: p.pop("id"), "return: missing required 'id'"),
    (lambda p: p["return_line_items"][0].pop("quantity"), "return.return_line_items[0]: missing required 'quantity'"),
    (lambda p: p["return_line_items"][0].update(fulfillment_line_item=None),
     "return.return_line_items[0].fulfillment_line_item"),
])
def test_bad_return_shapes_are_normalize_errors(mutate: object, message: str) -> None:
    payload = copy.deepcopy(load_fixture("shopify", "returns_request.json"))
    mutate(payload)  # type: ignore[operator]
    with pytest.raises(NormalizeError, match=message.replace("[", r"\[").replace("]", r"\]")):
        get_connector("shopify").normalize_webhook("returns/request", payload)


def test_bad_refund_shape_is_a_normalize_error() -> None:
    payload = load_fixture("shopify", "refunds_create.json")
    payload["transactions"][0]["amount"] = None
    with pytest.raises(NormalizeError, match=r"refund.transactions\[0\].amount"):
        get_connector("shopify").normalize_webhook("refunds/create", payload)
