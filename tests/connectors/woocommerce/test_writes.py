"""Writes behind the Connector Protocol for WooCommerce, against the fake store over loopback HTTP."""

from __future__ import annotations

from decimal import Decimal

import pytest

from connectors.base import NotSupported, RefundRequest, ShopAccess, TrackingUpdate, get_connector
from connectors.model import Money
from tests.fake_woocommerce import CONSUMER_KEY, CONSUMER_SECRET, EPOCH, FakeWooCommerce, wc_order


def access(fake: FakeWooCommerce) -> ShopAccess:
    return ShopAccess(fake.url, CONSUMER_KEY, secret=CONSUMER_SECRET, allow_insecure=True)


def test_refund_goes_through_the_refunds_endpoint_once_per_key(fake_woocommerce: FakeWooCommerce) -> None:
    order = wc_order(1482, EPOCH)
    fake_woocommerce.add_orders([order])
    line = order["line_items"][0]
    paid = Decimal(line["total"]) + Decimal(line["total_tax"])  # what the shopper paid for the line, tax included
    woo = get_connector("woocommerce")
    request = RefundRequest("1482", ((str(line["id"]), line["quantity"]),), "rma-5", note="Devolución RMA-5")
    first = woo.create_refund(access(fake_woocommerce), request)
    assert first.amount == Money(paid, "EUR") and not first.already_done
    again = woo.create_refund(access(fake_woocommerce), request)
    assert again.external_id == first.external_id and again.already_done
    (refund,) = fake_woocommerce.refunds[1482]
    assert refund["reason"] == "Devolución RMA-5 [postventa:rma-5]" and refund["amount"] == str(paid)
    assert [(r["quantity"], r["refund_total"]) for r in refund["line_items"]] == [(-line["quantity"], float(paid))]


def test_part_of_a_line_is_refunded_to_the_cent(fake_woocommerce: FakeWooCommerce) -> None:
    order = wc_order(1483, EPOCH)
    line = order["line_items"][0]
    line.update(quantity=3, total="10.00", total_tax="0.00")
    fake_woocommerce.add_orders([order])
    result = get_connector("woocommerce").create_refund(
        access(fake_woocommerce), RefundRequest("1483", ((str(line["id"]), 1),), "rma-6"))
    assert result.amount == Money(Decimal("3.33"), "EUR")


def test_refund_of_an_unknown_line_is_refused_before_any_call(fake_woocommerce: FakeWooCommerce) -> None:
    fake_woocommerce.add_orders([wc_order(1482, EPOCH)])
    with pytest.raises(ValueError, match="has no line item 999"):
        get_connector("woocommerce").create_refund(access(fake_woocommerce), RefundRequest("1482", (("999", 1),), "k"))
    assert fake_woocommerce.refunds.get(1482, []) == []


def test_tracking_goes_to_the_tracking_plugin(fake_woocommerce: FakeWooCommerce) -> None:
    fake_woocommerce.add_orders([wc_order(1482, EPOCH, status="completed")])
    woo = get_connector("woocommerce")
    woo.add_tracking(access(fake_woocommerce), "1482", "1482-completed",
                     TrackingUpdate("PQ4F6P0703673180128000P", "Correos", None))
    (item,) = fake_woocommerce.trackings[1482]
    assert item["tracking_number"] == "PQ4F6P0703673180128000P"
    assert item["tracking_provider"] in ("correos", "Correos") or item.get("custom_tracking_provider") == "Correos"
    fake_woocommerce.shipment_tracking = False  # neither plugin installed: said loudly
    fake_woocommerce.ast = False
    with pytest.raises(NotSupported, match="no shipment tracking plugin"):
        woo.add_tracking(access(fake_woocommerce), "1482", "1482-completed", TrackingUpdate("X1", None, None))
