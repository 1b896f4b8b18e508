"""The WooCommerce normaliser against recorded-shape wc/v3 payloads and tracking plugin responses."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from connectors.base import NormalizeError
from connectors.model import (
    Address,
    Customer,
    LineItem,
    Money,
    Refund,
    Shipment,
    ShipmentItem,
    ShipmentStatus,
    TrackingEvent,
)
from connectors.woocommerce.normalize import normalize_fulfillments, normalize_order, normalize_trackings
from connectors.woocommerce.statuses import (
    ORDER_STATUSES,
    TRACKING_STATUSES,
    is_cancelled_order,
    order_statuses,
    shipment_status_for,
)

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "woocommerce"

CORREOS_URL = "https://www.correos.es/es/es/herramientas/localizador/envios/detalle?tracking-number="
ST_TRACKING_ID = "b7c9e1f4a2d34e6f8a9b0c1d2e3f4a5b"
SEUR_TRACKING_ID = "3f1e0c9a7b5d4e2f8a6c1b0d9e7f5a3c"
CORREOS_AST_TRACKING_ID = "9c8b7a6f5e4d3c2b1a0f9e8d7c6b5a49"
MADRID = timedelta(hours=1)


def load(name: str) -> Any:
    """A fixture exactly as WooCommerce would POST (or return) it, parsed the way Flask parses it."""
    with (FIXTURES / name).open(encoding="utf-8") as fh:
        return json.load(fh)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


ORDER_FIXTURES = [
    "order_created_processing.json",
    "order_updated_completed_tracking.json",
    "order_updated_ast_two_trackings.json",
    "order_completed_no_tracking.json",
    "order_cancelled.json",
    "order_refunded.json",
]
LUCIA_LINES = (
    LineItem(
        external_id="5201",
        title="Camiseta de algodón orgánico - Azul marino, M",
        quantity=2,
        price=Money(Decimal("29.95"), "EUR"),
        sku="CAM-ORG-AZM-M",
        variant_title="Azul marino / M",
        product_id="812",
        variant_id="815",
    ),
    LineItem(
        external_id="5202",
        title="Zapatillas de lona",
        quantity=1,
        price=Money(Decimal("30.00"), "EUR"),
        sku="ZAP-LON-42-BL",
        variant_title=None,
        product_id="845",
        variant_id=None,
    ),
)


# --- the fixtures themselves ----------------------------------------------------------------------------


@pytest.mark.parametrize("name", ORDER_FIXTURES)
def test_fixtures_have_the_wc_v3_order_shape(name: str) -> None:
    payload = load(name)
    expected_keys = {
        "id", "parent_id", "status", "currency", "version", "prices_include_tax", "date_created",
        "date_modified", "discount_total", "discount_tax", "shipping_total", "shipping_tax", "cart_tax", "total",
        "total_tax", "customer_id", "order_key", "billing", "shipping", "payment_method", "payment_method_title",
        "transaction_id", "customer_ip_address", "customer_user_agent", "created_via", "customer_note",
        "date_completed", "date_paid", "cart_hash", "number", "meta_data", "line_items", "tax_lines",
        "shipping_lines", "fee_lines", "coupon_lines", "refunds", "payment_url", "is_editable", "needs_payment",
        "needs_processing", "date_created_gmt", "date_modified_gmt", "date_completed_gmt", "date_paid_gmt",
        "currency_symbol", "_links",
    }  # fmt: skip
    assert set(payload) == expected_keys
    assert isinstance(payload["id"], int)
    assert isinstance(payload["number"], str)
    for line in payload["line_items"]:
        assert isinstance(line["price"], int | float)  # WooCommerce sends the unit price as a number
        assert isinstance(line["subtotal"], str)


def test_fixtures_tell_one_consistent_story() -> None:
    created = load("order_created_processing.json")
    completed = load("order_updated_completed_tracking.json")
    trackings = load("shipment_trackings.json")
    fulfillments = load("order_fulfillments.json")
    assert created["id"] == completed["id"] == int(fulfillments[0]["entity_id"])
    assert completed["date_modified_gmt"] > created["date_modified_gmt"]
    assert trackings[0]["tracking_id"] == completed["meta_data"][-1]["value"][0]["tracking_id"]
    ast = load("order_updated_ast_two_trackings.json")
    ast_response = load("ast_shipment_trackings.json")
    meta_items = next(m["value"] for m in ast["meta_data"] if m["key"] == "_wc_shipment_tracking_items")
    assert [t["tracking_id"] for t in ast_response] == [t["tracking_id"] for t in meta_items]
    assert isinstance(load("order_completed_no_tracking.json")["total"], float)  # one total as a JSON number
    assert load("order_deleted.json") == {"id": 1482}


# --- orders ---------------------------------------------------------------------------------------------


def test_order_created_processing() -> None:
    order = normalize_order(load("order_created_processing.json"))

    assert order.external_id == "1482"
    assert order.number == "1482"
    assert order.created_at == utc(2026, 11, 20, 10, 15, 32)
    assert order.created_at.utcoffset() == timedelta(0)
    assert order.updated_at == utc(2026, 11, 20, 10, 15, 34)
    assert order.total == Money(Decimal("94.85"), "EUR")
    assert str(order.total.amount) == "94.85"
    assert order.locale == "es"
    assert order.customer == Customer(
        external_id="57",
        email="lucia.martin@example.com",
        first_name="Lucía",
        last_name="Martín Gómez",
        locale="es",
    )
    assert order.line_items == LUCIA_LINES
    assert order.shipping_address == Address(
        name="Lucía Martín Gómez",
        company=None,
        line1="Calle de Alcalá 123, 4º B",
        line2=None,
        city="Madrid",
        region="M",
        postal_code="28009",
        country_code="ES",
        phone="+34 600 123 456",
    )
    assert order.financial_status == "paid"
    assert order.fulfillment_status is None
    assert order.cancelled_at is None
    assert order.shipments == ()
    assert order.refunds == ()


def test_line_price_is_the_shown_unit_price_not_the_float() -> None:
    """price 24.793388 is 30.00 EUR without 21 % IVA; the shop showed 30.00, subtotal + tax says so."""
    payload = load("order_created_processing.json")
    assert payload["line_items"][1]["price"] == 24.793388
    assert payload["prices_include_tax"] is True
    lines = normalize_order(payload).line_items
    assert lines[1].price == Money(Decimal("30.00"), "EUR")
    assert lines[0].price == Money(Decimal("29.95"), "EUR")  # (49.50 + 10.40) / 2

    payload["prices_include_tax"] = False  # a shop showing prices without tax
    lines = normalize_order(payload).line_items
    assert lines[0].price == Money(Decimal("24.75"), "EUR")  # 49.50 / 2
    assert lines[1].price == Money(Decimal("24.79"), "EUR")
    assert lines[1].price.amount.as_tuple().exponent == -2


def test_line_price_falls_back_to_the_price_field_in_cents() -> None:
    payload = load("order_created_processing.json")
    del payload["line_items"][1]["subtotal"]
    assert normalize_order(payload).line_items[1].price == Money(Decimal("24.79"), "EUR")
    payload["line_items"][1]["quantity"] = 0
    payload["line_items"][1]["price"] = 0
    assert normalize_order(payload).line_items[1].price == Money(Decimal("0.00"), "EUR")


def test_variant_title_only_from_attribute_meta() -> None:
    order = normalize_order(load("order_updated_ast_two_trackings.json"))
    # The line also carries core's "Backordered" meta, which is not an attribute.
    assert order.line_items[0].variant_title == "Azul marino / M"
    payload = load("order_created_processing.json")
    payload["line_items"][1]["meta_data"] = [
        {"id": 1, "key": "pa_talla", "value": "42", "display_key": "Talla", "display_value": "42"}
    ]
    assert normalize_order(payload).line_items[1].variant_title is None  # variation_id 0: not a variant
    payload["line_items"][0]["meta_data"] = [
        {"id": 2, "key": "_reduced_stock", "value": "2", "display_key": "_reduced_stock", "display_value": "2"},
        {"id": 3, "key": "talla", "value": "m", "display_key": "Talla", "display_value": " M "},
    ]
    assert normalize_order(payload).line_items[0].variant_title == "M"
    payload["line_items"][0]["meta_data"] = []
    assert normalize_order(payload).line_items[0].variant_title is None


def test_order_completed_with_shipment_tracking() -> None:
    created = normalize_order(load("order_created_processing.json"))
    order = normalize_order(load("order_updated_completed_tracking.json"))

    assert order.external_id == created.external_id == "1482"
    assert order.updated_at == utc(2026, 11, 21, 9, 30, 5)
    assert order.updated_at > created.updated_at
    assert order.financial_status == "paid"
    assert order.fulfillment_status == "fulfilled"
    assert order.shipments == (
        Shipment(
            external_id=ST_TRACKING_ID,
            status=ShipmentStatus.INFO_RECEIVED,
            created_at=utc(2026, 11, 21),  # date_shipped "1795219200"
            updated_at=utc(2026, 11, 21, 9, 30, 5),
            carrier="Correos",
            tracking_number="PQ4F6P0703673180128000P",
            tracking_url=CORREOS_URL + "PQ4F6P0703673180128000P",  # %1$s expanded
            items=(ShipmentItem("5201", 2), ShipmentItem("5202", 1)),  # no products_list: the whole order
            events=(),
            cancelled=False,
        ),
    )


def test_order_with_two_ast_trackings() -> None:
    order = normalize_order(load("order_updated_ast_two_trackings.json"))

    assert order.external_id == "1517"
    assert order.locale == "ca"
    assert order.customer == Customer(
        external_id=None,  # customer_id 0: a guest
        email="jordi.puig@example.cat",
        first_name="Jordi",
        last_name="Puig i Serra",
        locale="ca",
    )
    assert order.shipping_address is not None
    assert order.shipping_address.company == "Puig Disseny SL"
    assert order.shipping_address.line2 == "Àtic 2a"
    assert order.shipping_address.postal_code == "08013"  # leading zero kept
    assert order.fulfillment_status == "fulfilled"
    seur, correos = order.shipments
    assert seur == Shipment(
        external_id=SEUR_TRACKING_ID,
        status=ShipmentStatus.DELIVERED,  # TrackShip says delivered
        created_at=utc(2026, 11, 22),
        updated_at=utc(2026, 11, 24, 11, 5, 40),
        carrier="seur",  # the slug as stored, not prettified
        tracking_number="08152026112300417",
        tracking_url=None,
        items=(ShipmentItem("5301", 2),),  # products_list with item_id
        events=(
            TrackingEvent(
                status=ShipmentStatus.DELIVERED,
                occurred_at=utc(2026, 11, 24, 11, 2),
                raw_status="delivered",
            ),
        ),
    )
    assert correos == Shipment(
        external_id=CORREOS_AST_TRACKING_ID,
        status=ShipmentStatus.IN_TRANSIT,
        created_at=utc(2026, 11, 23),  # date_shipped as a JSON integer
        updated_at=utc(2026, 11, 24, 11, 5, 40),
        carrier="Correos",  # formatted_tracking_provider
        tracking_number="PK7B2C0703673180199000X",
        tracking_url=CORREOS_URL + "PK7B2C0703673180199000X",  # the carrier link before AST's own page
        items=(ShipmentItem("5302", 1),),  # products_list without item_id: matched by product 845
        events=(
            TrackingEvent(
                status=ShipmentStatus.IN_TRANSIT,
                occurred_at=utc(2026, 11, 24, 6, 40),
                raw_status="in_transit",
            ),
        ),
    )


def test_ast_status_shipped_is_not_a_delivery() -> None:
    """AST's status_shipped (1 shipped, 2 partially shipped) only changed the order's status."""
    payload = load("order_updated_ast_two_trackings.json")
    payload["meta_data"] = [m for m in payload["meta_data"] if m["key"] != "shipment_status"]
    order = normalize_order(payload)
    assert [s.status for s in order.shipments] == [ShipmentStatus.INFO_RECEIVED, ShipmentStatus.INFO_RECEIVED]
    assert [s.events for s in order.shipments] == [(), ()]


def test_ast_variation_matched_through_products_list() -> None:
    payload = load("order_updated_ast_two_trackings.json")
    items = payload["meta_data"][2]["value"]
    items[0]["products_list"] = [{"product": 815, "qty": 1}]  # the variation, no item_id
    items[1]["products_list"] = [{"product": 999, "qty": 1}, {"product": 812, "qty": "1"}]
    seur, correos = normalize_order(payload).shipments
    assert seur.items == (ShipmentItem("5301", 1),)
    assert correos.items == (ShipmentItem("5301", 1),)  # 999 is not in the order; 812 is 5301's parent


def test_order_completed_without_tracking_is_a_pending_shipment() -> None:
    order = normalize_order(load("order_completed_no_tracking.json"))

    assert order.external_id == "1530"
    assert order.number == "ES-1530"  # a sequential-numbers plugin's number, not the id
    assert order.total == Money(Decimal("49.9"), "EUR")  # a JSON number, exactly
    assert order.total.amount == Decimal("49.90")
    assert order.locale is None
    assert order.customer.external_id is None
    assert order.customer.locale is None
    assert order.line_items[0].price == Money(Decimal("49.90"), "EUR")
    assert order.fulfillment_status == "fulfilled"
    assert order.shipments == (
        Shipment(
            external_id="1530-completed",
            status=ShipmentStatus.PENDING,
            created_at=utc(2026, 11, 25, 8, 12, 48),  # date_completed_gmt
            updated_at=utc(2026, 11, 25, 8, 12, 48),
            carrier=None,
            tracking_number=None,
            tracking_url=None,
            items=(ShipmentItem("5401", 1),),
        ),
    )


def test_completed_shipment_id_is_stable_across_updates() -> None:
    payload = load("order_completed_no_tracking.json")
    first = normalize_order(payload).shipments[0]
    payload["date_modified_gmt"] = "2026-11-26T10:00:00"
    later = normalize_order(payload).shipments[0]
    assert later.external_id == first.external_id == "1530-completed"
    assert later.created_at == first.created_at
    assert later.updated_at == utc(2026, 11, 26, 10)


def test_processing_order_without_tracking_has_no_shipment() -> None:
    payload = load("order_completed_no_tracking.json")
    payload["status"] = "processing"
    assert normalize_order(payload).shipments == ()


def test_order_cancelled() -> None:
    order = normalize_order(load("order_cancelled.json"))

    assert order.external_id == "1533"
    assert order.locale == "en"
    assert order.cancelled_at == utc(2026, 11, 26, 7, 0, 3)  # date_modified_gmt
    assert order.cancelled_at == order.updated_at
    assert order.financial_status == "voided"
    assert order.fulfillment_status is None
    assert order.total == Money(Decimal("34.95"), "EUR")
    assert order.shipments == ()
    assert order.shipping_address is not None
    assert order.shipping_address.line2 == "Bajo"


@pytest.mark.parametrize(
    ("status", "cancelled"),
    [("cancelled", True), ("trash", True), ("failed", False), ("refunded", False), ("on-hold", False)],
)
def test_cancelled_at_only_for_orders_that_will_not_ship(status: str, cancelled: bool) -> None:
    payload = load("order_cancelled.json")
    payload["status"] = status
    order = normalize_order(payload)
    assert order.cancelled_at == (utc(2026, 11, 26, 7, 0, 3) if cancelled else None)


def test_order_refunded() -> None:
    order = normalize_order(load("order_refunded.json"))

    assert order.external_id == "1490"
    assert order.financial_status == "refunded"
    assert order.fulfillment_status is None
    assert order.cancelled_at is None
    assert order.refunds == (
        Refund(
            external_id="1561",
            amount=Money(Decimal("64.85"), "EUR"),
            created_at=utc(2026, 11, 27, 16, 20, 45),  # no date in the payload: the order's date_modified
            note=None,
        ),
        Refund(
            external_id="1549",
            amount=Money(Decimal("30.00"), "EUR"),
            created_at=utc(2026, 11, 27, 16, 20, 45),
            note="Talla incorrecta",
        ),
    )
    assert sum((r.amount.amount for r in order.refunds), Decimal(0)) == order.total.amount


def test_partial_refund_on_a_paid_order() -> None:
    payload = load("order_refunded.json")
    payload["status"] = "completed"
    payload["refunds"] = payload["refunds"][1:]
    order = normalize_order(payload)
    assert order.financial_status == "partially_refunded"
    assert order.fulfillment_status == "fulfilled"
    assert order.refunds[0].amount == Money(Decimal("30.00"), "EUR")


def test_money_as_strings_or_numbers_is_exact() -> None:
    payload = load("order_created_processing.json")
    for raw, expected in [("49.90", "49.90"), (49.9, "49.9"), (49, "49"), (0.1, "0.1"), (1234567.89, "1234567.89")]:
        payload["total"] = raw
        assert str(normalize_order(payload).total.amount) == expected
    payload["refunds"] = [{"id": 3, "reason": "", "total": -5.1}]
    assert normalize_order(payload).refunds[0].amount == Money(Decimal("5.1"), "EUR")


def test_dates_fall_back_to_local_only_when_gmt_is_missing() -> None:
    payload = load("order_created_processing.json")
    payload["date_created_gmt"] = None
    assert normalize_order(payload).created_at == utc(2026, 11, 20, 11, 15, 32)
    del payload["date_modified_gmt"]
    assert normalize_order(payload).updated_at == utc(2026, 11, 20, 11, 15, 34)
    payload["date_modified_gmt"] = "2026-11-20T11:15:34+01:00"  # an offset, if a plugin adds one, is honoured
    assert normalize_order(payload).updated_at == utc(2026, 11, 20, 10, 15, 34)


def test_locale_from_wpml_only() -> None:
    payload = load("order_created_processing.json")
    payload["meta_data"] = [
        {"id": 1, "key": "_wpml_language", "value": "fr"},
        {"id": 2, "key": "pll_lang", "value": "de"},
    ]
    assert normalize_order(payload).locale is None
    payload["meta_data"] = [{"id": 3, "key": "wpml_language", "value": " pt-br "}]
    order = normalize_order(payload)
    assert order.locale == "pt-br"
    assert order.customer.locale == "pt-br"
    payload["meta_data"] = [{"id": 4, "key": "wpml_language", "value": ""}]
    assert normalize_order(payload).locale is None


def test_blank_shipping_address_is_none_and_php_empty_arrays_read_as_objects() -> None:
    payload = load("order_cancelled.json")
    payload["shipping"] = {k: "" for k in payload["shipping"]}
    assert normalize_order(payload).shipping_address is None
    payload["shipping"] = []
    payload["billing"] = []
    order = normalize_order(payload)
    assert order.shipping_address is None
    assert order.customer == Customer(external_id="64", email=None, locale="en")


def test_ids_given_as_strings_and_number_fallback() -> None:
    payload = load("order_created_processing.json")
    payload["id"] = "1482"
    payload["customer_id"] = "57"
    payload["line_items"][0]["variation_id"] = "815"
    order = normalize_order(payload)
    assert (order.external_id, order.customer.external_id, order.line_items[0].variant_id) == ("1482", "57", "815")
    del payload["number"]
    assert normalize_order(payload).number == "1482"  # WooCommerce's own default: the id
    payload["number"] = 1482
    assert normalize_order(payload).number == "1482"


def test_normalize_order_does_not_mutate_the_payload() -> None:
    payload = load("order_updated_ast_two_trackings.json")
    before = copy.deepcopy(payload)
    normalize_order(payload)
    assert payload == before


# --- the Shipment Tracking and AST REST endpoints -------------------------------------------------------


def test_shipment_tracking_endpoint_agrees_with_the_order_meta() -> None:
    order = normalize_order(load("order_updated_completed_tracking.json"))
    (from_rest,) = normalize_trackings("1482", load("shipment_trackings.json"), order.updated_at, order.line_items)
    assert from_rest == order.shipments[0]


def test_ast_endpoint_response() -> None:
    updated_at = utc(2026, 11, 24, 11, 5, 40)
    seur, correos = normalize_trackings("1517", load("ast_shipment_trackings.json"), updated_at)
    assert seur == Shipment(
        external_id=SEUR_TRACKING_ID,
        status=ShipmentStatus.INFO_RECEIVED,
        created_at=utc(2026, 11, 22),  # "2026-11-22"
        updated_at=updated_at,
        carrier="SEUR",  # REST gives the formatted name
        tracking_number="08152026112300417",
        tracking_url="https://www.seur.com/livetracking/?segOnlineIdentificador=08152026112300417&segOnlineIdioma=es",
    )
    assert correos.external_id == CORREOS_AST_TRACKING_ID
    assert correos.tracking_url == "https://tienda.example.es/seguimiento/?order_id=1517&order_key=wc_order_Bt4NwQ8sZe1Yc"
    assert correos.created_at == utc(2026, 11, 23)
    # The same tracking ids as in the order meta: both sources name one shipment.
    meta_ids = [s.external_id for s in normalize_order(load("order_updated_ast_two_trackings.json")).shipments]
    assert [seur.external_id, correos.external_id] == meta_ids


def test_ast_endpoint_items_cover_the_order_when_line_items_are_given() -> None:
    order = normalize_order(load("order_updated_ast_two_trackings.json"))
    seur, _ = normalize_trackings("1517", load("ast_shipment_trackings.json"), order.updated_at, order.line_items)
    assert seur.items == (ShipmentItem("5301", 2), ShipmentItem("5302", 1))


@pytest.mark.parametrize(
    ("date_shipped", "expected"),
    [
        ("2026-11-21", utc(2026, 11, 21)),
        ("1795219200", utc(2026, 11, 21)),
        (1795219200, utc(2026, 11, 21)),
        ("2026-11-21T15:30:00", utc(2026, 11, 21, 15, 30)),
        ("November 21, 2026", utc(2026, 11, 21)),  # WordPress's default date_format, used by AST's REST
        ("21/11/2026", utc(2026, 11, 30, 12)),  # a site date_format we cannot read: the order's date
        ("", utc(2026, 11, 30, 12)),
        (None, utc(2026, 11, 30, 12)),
        (0, utc(2026, 11, 30, 12)),
    ],
)
def test_date_shipped_formats(date_shipped: object, expected: datetime) -> None:
    item: dict[str, object] = {"tracking_id": "a" * 32, "tracking_provider": "DHL", "tracking_number": "JJD0099"}
    item["date_shipped"] = date_shipped
    (shipment,) = normalize_trackings("1", [item], utc(2026, 11, 30, 12))
    assert shipment.created_at == expected


def test_tracking_without_tracking_id_gets_a_stable_hashed_id() -> None:
    item = {"tracking_provider": "correos", "tracking_number": "PQ4F6P0703673180128000P", "date_shipped": "1795219200"}
    def shipment_id(order_id: str, **changes: str) -> str:
        return normalize_trackings(order_id, [{**item, **changes}], utc(2026, 11, 22))[0].external_id

    first = shipment_id("1482")
    assert first == shipment_id("1482", tracking_number="pq4f6p0703673180128000p ")  # spaces and case
    assert first.startswith("1482-trk-")
    assert len(first) == len("1482-trk-") + 16
    others = {
        shipment_id("1482", tracking_number="PQ4F6P0703673180128001P"),
        shipment_id("1482", tracking_provider="seur"),
        shipment_id("1483"),
    }
    assert len(others | {first}) == 4


def test_tracking_items_as_a_php_object_and_without_numbers() -> None:
    """After a deletion PHP may encode the list as {"1": ...}; TrackShip statuses follow the same keys."""
    items = {
        "2": {"tracking_id": "c" * 32, "tracking_provider": "ups", "tracking_number": "1Z999AA10123456784"},
        "0": {"tracking_id": "d" * 32, "tracking_provider": "ups", "tracking_number": ""},  # no number: skipped
    }
    trackship = {"2": {"status": "out_for_delivery", "status_date": "2026-11-30T08:00:00Z"}}
    (shipment,) = normalize_trackings("9", items, utc(2026, 11, 30, 7), trackship=trackship)
    assert shipment.external_id == "c" * 32
    assert shipment.status is ShipmentStatus.OUT_FOR_DELIVERY
    assert shipment.updated_at == utc(2026, 11, 30, 8)
    assert shipment.events == (
        TrackingEvent(
            status=ShipmentStatus.OUT_FOR_DELIVERY, occurred_at=utc(2026, 11, 30, 8), raw_status="out_for_delivery"
        ),
    )


def test_unknown_trackship_status_keeps_the_raw_word() -> None:
    item = {"tracking_id": "e" * 32, "tracking_provider": "gls", "tracking_number": "ZX123"}
    (shipment,) = normalize_trackings("9", [item], utc(2026, 11, 30), trackship=[{"status": "pending_trackship"}])
    assert shipment.status is ShipmentStatus.INFO_RECEIVED
    assert shipment.events == (
        TrackingEvent(
            status=ShipmentStatus.INFO_RECEIVED, occurred_at=utc(2026, 11, 30), raw_status="pending_trackship"
        ),
    )


def test_custom_link_and_numeric_tracking_number() -> None:
    item = {
        "tracking_id": "f" * 32,
        "tracking_provider": "",
        "custom_tracking_provider": "Mensajería Pepe",
        "custom_tracking_link": "https://pepe.example/t?n=%1$s&lang=es",
        "tracking_number": 123456789,
    }
    (shipment,) = normalize_trackings("9", [item], utc(2026, 11, 30))
    assert shipment.carrier == "Mensajería Pepe"
    assert shipment.tracking_number == "123456789"
    assert shipment.tracking_url == "https://pepe.example/t?n=123456789&lang=es"


def test_normalize_trackings_needs_an_aware_order_date() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        normalize_trackings("1", [], datetime(2026, 11, 30))


# --- core fulfillments ----------------------------------------------------------------------------------


def test_fulfillments_endpoint_response() -> None:
    shipped, draft = normalize_fulfillments("1482", load("order_fulfillments.json"), utc_offset=MADRID)
    assert shipped == Shipment(
        external_id="1482-fulfillment-7",
        status=ShipmentStatus.INFO_RECEIVED,
        created_at=utc(2026, 11, 21, 9, 29, 58),  # _date_fulfilled, Madrid local time
        updated_at=utc(2026, 11, 21, 9, 30),  # date_updated "2026-11-21 10:30:00" local
        carrier="correos",  # the provider slug as stored
        tracking_number="PQ4F6P0703673180155000K",
        tracking_url=CORREOS_URL + "PQ4F6P0703673180155000K",
        items=(ShipmentItem("5201", 2),),
        cancelled=False,
    )
    assert draft == Shipment(
        external_id="1482-fulfillment-8",
        status=ShipmentStatus.PENDING,  # a draft (is_fulfilled false) claims nothing
        created_at=utc(2026, 11, 21, 9, 41, 12),
        updated_at=utc(2026, 11, 21, 9, 41, 12),
        items=(ShipmentItem("5202", 1),),
    )


def test_fulfillments_default_to_utc_and_honour_explicit_offsets() -> None:
    payload = load("order_fulfillments.json")
    assert normalize_fulfillments("1482", payload)[0].updated_at == utc(2026, 11, 21, 10, 30)
    payload[0]["date_updated"] = "2026-11-21T10:30:00Z"  # the format the REST docs describe
    assert normalize_fulfillments("1482", payload, utc_offset=MADRID)[0].updated_at == utc(2026, 11, 21, 10, 30)


def test_fulfillment_custom_provider_and_10_7_meta_key() -> None:
    payload = load("order_fulfillments.json")
    meta = payload[0]["meta_data"]
    meta[1]["value"] = "other"
    meta.append({"id": 40, "key": "_provider_name", "value": "Mensajería Pepe"})
    assert normalize_fulfillments("1482", payload)[0].carrier == "Mensajería Pepe"
    meta[1] = {"id": 32, "key": "_shipping_provider", "value": "dhl"}
    assert normalize_fulfillments("1482", payload)[0].carrier == "dhl"


def test_deleted_fulfillment_is_cancelled() -> None:
    payload = load("order_fulfillments.json")
    payload[0]["date_deleted"] = "2026-11-22 08:00:00"
    assert normalize_fulfillments("1482", payload, utc_offset=MADRID)[0].cancelled is True


def test_fulfillments_attached_to_the_order() -> None:
    payload = load("order_created_processing.json")
    payload["status"] = "completed"
    payload["meta_data"].append({"id": 9990, "key": "_fulfillment_status", "value": "partially_fulfilled"})
    payload["fulfillments"] = load("order_fulfillments.json")
    order = normalize_order(payload)
    # The site offset comes from the order: date_modified 11:15:34 local, 10:15:34 GMT.
    assert [s.external_id for s in order.shipments] == ["1482-fulfillment-7", "1482-fulfillment-8"]
    assert order.shipments[0].updated_at == utc(2026, 11, 21, 9, 30)
    assert order.fulfillment_status == "partial"  # the core meta knows better than "completed"


def test_tracking_meta_comes_first_and_a_parcel_is_not_counted_twice() -> None:
    payload = load("order_updated_completed_tracking.json")
    fulfillments = load("order_fulfillments.json")
    fulfillments[0]["meta_data"][2]["value"] = "pq4f6p0703673180128000p"  # the Shipment Tracking number
    payload["fulfillments"] = fulfillments
    order = normalize_order(payload)
    assert [s.external_id for s in order.shipments] == [ST_TRACKING_ID, "1482-fulfillment-8"]


# --- the status tables ----------------------------------------------------------------------------------

EXPECTED_ORDER_TABLE: dict[str, tuple[str | None, str | None]] = {
    "pending": ("pending", None),
    "checkout-draft": ("pending", None),
    "on-hold": ("pending", None),
    "failed": ("pending", None),
    "processing": ("paid", None),
    "completed": ("paid", "fulfilled"),
    "cancelled": ("voided", None),
    "refunded": ("refunded", None),
    "trash": (None, None),
    "partial-shipped": ("paid", "partial"),
    "shipped": ("paid", "fulfilled"),
    "delivered": ("paid", "fulfilled"),
    "updated-tracking": ("paid", "fulfilled"),
}
EXPECTED_TRACKING_TABLE: dict[str, ShipmentStatus] = {
    "pre_transit": ShipmentStatus.INFO_RECEIVED,
    "in_transit": ShipmentStatus.IN_TRANSIT,
    "out_for_delivery": ShipmentStatus.OUT_FOR_DELIVERY,
    "available_for_pickup": ShipmentStatus.AVAILABLE_FOR_PICKUP,
    "failure": ShipmentStatus.ATTEMPT_FAIL,
    "on_hold": ShipmentStatus.EXCEPTION,
    "exception": ShipmentStatus.EXCEPTION,
    "return_to_sender": ShipmentStatus.EXCEPTION,
    "delivered": ShipmentStatus.DELIVERED,
}


def test_order_status_table() -> None:
    assert dict(ORDER_STATUSES) == EXPECTED_ORDER_TABLE


@pytest.mark.parametrize(("status", "expected"), list(EXPECTED_ORDER_TABLE.items()))
def test_every_order_status_flows_through_normalize_order(status: str, expected: tuple[str | None, str | None]) -> None:
    payload = load("order_created_processing.json")
    payload["status"] = status
    order = normalize_order(payload)
    assert (order.financial_status, order.fulfillment_status) == expected
    assert order_statuses(status.upper()) == expected
    assert order_statuses(f"wc-{status}") == expected


@pytest.mark.parametrize("status", ["wc-awaiting-shipment", "ready-to-pickup", "", None])
def test_unknown_order_status_does_not_crash(status: str | None) -> None:
    payload = load("order_created_processing.json")
    payload["status"] = status
    order = normalize_order(payload)
    assert (order.financial_status, order.fulfillment_status) == (None, None)
    assert order.cancelled_at is None
    assert order.shipments == ()


def test_order_statuses_refunds_and_fulfillment_meta() -> None:
    assert order_statuses("processing", has_refunds=True) == ("partially_refunded", None)
    assert order_statuses("refunded", has_refunds=True) == ("refunded", None)
    assert order_statuses("processing", fulfillment_meta="fulfilled") == ("paid", "fulfilled")
    assert order_statuses("processing", fulfillment_meta="partially_fulfilled") == ("paid", "partial")
    assert order_statuses("completed", fulfillment_meta="unfulfilled") == ("paid", "fulfilled")
    assert order_statuses("completed", fulfillment_meta="no_fulfillments") == ("paid", "fulfilled")
    assert is_cancelled_order("wc-cancelled") and is_cancelled_order("Trash")
    assert not is_cancelled_order("failed") and not is_cancelled_order(None)


def test_tracking_status_table() -> None:
    assert dict(TRACKING_STATUSES) == EXPECTED_TRACKING_TABLE


@pytest.mark.parametrize(("raw", "expected"), list(EXPECTED_TRACKING_TABLE.items()))
def test_every_tracking_status_flows_through_normalize_trackings(raw: str, expected: ShipmentStatus) -> None:
    item = {"tracking_id": "a" * 32, "tracking_provider": "seur", "tracking_number": "081520"}
    (shipment,) = normalize_trackings("1", [item], utc(2026, 11, 30), trackship=[{"status": raw.upper()}])
    assert shipment.status is expected
    assert shipment.events[0].raw_status == raw.upper()
    assert shipment_status_for(raw, has_tracking=False, shipped=False) is expected


def test_shipment_status_without_carrier_news() -> None:
    assert shipment_status_for(None, has_tracking=True) is ShipmentStatus.INFO_RECEIVED
    assert shipment_status_for(None, has_tracking=False) is ShipmentStatus.PENDING
    assert shipment_status_for(None, has_tracking=True, shipped=False) is ShipmentStatus.PENDING
    assert shipment_status_for("teleported", has_tracking=True) is ShipmentStatus.INFO_RECEIVED


# --- bad payloads ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("mutate", "match"),
    [
        (lambda p: p.pop("id"), r"^order\.id: missing required id$"),
        (lambda p: p.update(id=0), r"order\.id"),
        (lambda p: p.update(id=1482.0), r"order\.id: expected an integer id"),
        (lambda p: p.update(id=True), r"order\.id"),
        (lambda p: p.pop("currency"), "currency"),
        (lambda p: p.update(currency="EURO"), r"order\.currency"),
        (lambda p: p.update(total="94,85"), r"order\.total: not a number"),
        (lambda p: p.update(total="NaN"), r"order\.total: not a finite amount"),
        (lambda p: p.update(total=None), r"order\.total: missing amount"),
        (lambda p: p.update(total=[94.85]), r"order\.total"),
        (lambda p: (p.pop("date_created_gmt"), p.pop("date_created")), "missing required 'date_created_gmt'"),
        (lambda p: p.update(date_modified_gmt="20/11/2026 10:15"), r"order\.date_modified_gmt: not an ISO 8601"),
        (lambda p: p.update(date_modified_gmt=1763630100), r"order\.date_modified_gmt: expected a timestamp"),
        (lambda p: p.update(status=7), r"order\.status: expected a string"),
        (lambda p: p.update(prices_include_tax="yes"), r"order\.prices_include_tax"),
        (lambda p: p.update(customer_id=-1), r"order\.customer_id"),
        (lambda p: p.update(customer_id=False), r"order\.customer_id"),
        (lambda p: p.update(number=["1482"]), r"order\.number"),
        (lambda p: p.update(billing="lucia"), r"order\.billing: expected an object"),
        (lambda p: p["billing"].update(email=42), r"order\.billing\.email: expected a string"),
        (lambda p: p.update(shipping=["Madrid"]), r"order\.shipping"),
        (lambda p: p.update(line_items={"id": 1}), r"order\.line_items: expected a list"),
        (lambda p: p.update(line_items=["camiseta"]), r"order\.line_items\[0\]: expected an object"),
        (lambda p: p["line_items"][1].update(quantity="1"), r"^order\.line_items\[1\]\.quantity: expected an integer"),
        (lambda p: p["line_items"][1].update(quantity=1.5), r"order\.line_items\[1\]\.quantity: expected an integer"),
        (lambda p: p["line_items"][1].update(quantity=-1), r"order\.line_items\[1\]\.quantity"),
        (lambda p: p["line_items"][1].pop("quantity"), r"order\.line_items\[1\]\.quantity: missing"),
        (lambda p: p["line_items"][0].pop("id"), r"order\.line_items\[0\]\.id: missing"),
        (lambda p: p["line_items"][0].update(name=None), r"order\.line_items\[0\]: missing required 'name'"),
        (lambda p: p["line_items"][0].update(subtotal="gratis"), r"order\.line_items\[0\]\.subtotal"),
        (lambda p: p["line_items"][0].update(subtotal_tax={}), r"order\.line_items\[0\]\.subtotal_tax"),
        (lambda p: p["line_items"][0].update(sku=1234), r"order\.line_items\[0\]\.sku"),
        (lambda p: p["line_items"][0].update(product_id="abc"), r"order\.line_items\[0\]\.product_id"),
        (lambda p: p["line_items"][0].update(meta_data=[None]), r"order\.line_items\[0\]\.meta_data\[0\]"),
        (lambda p: p.update(meta_data={"wpml_language": "es"}), r"order\.meta_data: expected a list"),
        (lambda p: p["meta_data"].append({"id": 1, "key": None}), r"order\.meta_data\[2\]\.key"),
        (lambda p: p["meta_data"][0].update(value=["es"]), r"order\.meta_data\[0\]\.value: expected a string"),
        (lambda p: p.update(refunds=[{"id": 3, "total": "-five"}]), r"order\.refunds\[0\]\.total"),
        (lambda p: p.update(refunds=[{"total": "-5.00"}]), r"order\.refunds\[0\]\.id"),
        (lambda p: p.update(refunds=[{"id": 3, "total": "-5.00", "reason": 5}]), r"order\.refunds\[0\]\.reason"),
        (lambda p: p.update(fulfillments={"id": 7}), r"order\.fulfillments\[id\]: expected an object"),
        (lambda p: p.update(fulfillments="7"), r"order\.fulfillments: expected a list"),
    ],
)
def test_order_with_wrong_shapes(mutate: Any, match: str) -> None:
    payload = load("order_created_processing.json")
    mutate(payload)
    with pytest.raises(NormalizeError, match=match):
        normalize_order(payload)


@pytest.mark.parametrize(
    ("mutate", "match"),
    [
        (lambda items: items.update(value="a:1:{...}"), r"order\.meta_data\[2\]\.value: expected a list"),
        (lambda items: items["value"].append("PQ4F"), r"order\.meta_data\[2\]\.value\[1\]: expected an object"),
        (lambda items: items["value"][0].update(tracking_number=["PQ4F"]), r"value\[0\]\.tracking_number"),
        (lambda items: items["value"][0].update(date_shipped=[1795219200]), r"value\[0\]\.date_shipped"),
        (lambda items: items["value"][0].update(date_shipped=True), r"value\[0\]\.date_shipped"),
        (lambda items: items["value"][0].update(date_shipped="99999999999999999999"), r"value\[0\]\.date_shipped"),
        (lambda items: items["value"][0].update(tracking_id=123), r"value\[0\]\.tracking_id"),
        (lambda items: items["value"][0].update(custom_tracking_provider=1), r"custom_tracking_provider"),
        (lambda items: items["value"][0].update(products_list="812"), r"value\[0\]\.products_list: expected a list"),
        (lambda items: items["value"][0].update(products_list=[{"product": 812}]), r"products_list\[0\]\.qty"),
        (lambda items: items["value"][0].update(products_list=[{"qty": 1}]), r"products_list\[0\]\.product"),
        (lambda items: items["value"][0].update(products_list=[{"product": 812, "qty": 1.5}]), r"\[0\]\.qty"),
        (lambda items: items["value"][0].update(products_list=[{"item_id": "x", "qty": 1}]), r"\[0\]\.item_id"),
    ],
)
def test_tracking_meta_with_wrong_shapes(mutate: Any, match: str) -> None:
    payload = load("order_updated_completed_tracking.json")
    mutate(payload["meta_data"][2])
    with pytest.raises(NormalizeError, match=match):
        normalize_order(payload)


@pytest.mark.parametrize(
    "trackship",
    ["delivered", [{"status": 3}], ["delivered"], [{"status": "delivered", "status_date": None}, 5]],
)
def test_trackship_meta_with_wrong_shapes(trackship: object) -> None:
    payload = load("order_updated_ast_two_trackings.json")
    payload["meta_data"][3]["value"] = trackship
    with pytest.raises(NormalizeError, match=r"shipment_status"):
        normalize_order(payload)


@pytest.mark.parametrize(
    ("mutate", "match"),
    [
        (lambda f: f.pop("id"), r"fulfillments\[0\]\.id: missing"),
        (lambda f: f.pop("date_updated"), r"fulfillments\[0\]\.date_updated: missing"),
        (lambda f: f.update(date_updated="yesterday"), r"fulfillments\[0\]\.date_updated: not an ISO 8601"),
        (lambda f: f.update(date_deleted=5), r"fulfillments\[0\]\.date_deleted"),
        (lambda f: f.update(is_fulfilled="yes"), r"fulfillments\[0\]\.is_fulfilled"),
        (lambda f: f.update(meta_data=[["_items"]]), r"fulfillments\[0\]\.meta_data\[0\]: expected an object"),
        (lambda f: f["meta_data"][0].update(value=[{"item_id": 5201}]), r"meta_data\[0\]\.value\[0\]\.qty"),
        (lambda f: f["meta_data"][0].update(value=[{"qty": 2}]), r"meta_data\[0\]\.value\[0\]\.item_id"),
        (lambda f: f["meta_data"][0].update(value=5201), r"meta_data\[0\]\.value: expected a list"),
        (lambda f: f["meta_data"][1].update(value=["correos"]), r"meta_data\[1\]\.value: expected a string"),
        (lambda f: f["meta_data"][2].update(value={"n": 1}), r"meta_data\[2\]\.value: expected a string"),
        (lambda f: f["meta_data"][4].update(value="21/11/2026"), r"meta_data\[4\]\.value: not an ISO 8601"),
    ],
)
def test_fulfillments_with_wrong_shapes(mutate: Any, match: str) -> None:
    payload = load("order_fulfillments.json")
    mutate(payload[0])
    with pytest.raises(NormalizeError, match=match):
        normalize_fulfillments("1482", payload)


@pytest.mark.parametrize("payload", [None, [], "order", 42, b"{}"])
def test_not_an_object(payload: Any) -> None:
    with pytest.raises(NormalizeError):
        normalize_order(payload)
    if not isinstance(payload, list):
        with pytest.raises(NormalizeError):
            normalize_trackings("1", payload, utc(2026, 11, 30))
        with pytest.raises(NormalizeError):
            normalize_fulfillments("1", payload)


JUNK: list[Any] = [None, "", "x", 0, -1, 1.5, True, [], {}, [None], {"a": 1}, "1", float("nan")]


def _each_path(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every key and index in a JSON document, so junk can be put anywhere."""
    paths: list[tuple[Any, ...]] = []
    children = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else []
    for key, child in children:
        paths.append((*path, key))
        paths.extend(_each_path(child, (*path, key)))
    return paths


def _with(document: Any, path: tuple[Any, ...], value: Any) -> Any:
    copied = copy.deepcopy(document)
    node = copied
    for step in path[:-1]:
        node = node[step]
    node[path[-1]] = value
    return copied


@pytest.mark.parametrize("name", ["order_updated_ast_two_trackings.json", "order_updated_completed_tracking.json"])
def test_only_normalize_error_escapes_from_junk_orders(name: str) -> None:
    """Junk at every depth of an order: callers only ever see a NormalizeError (or a good Order)."""
    base = load(name)
    base["fulfillments"] = load("order_fulfillments.json")
    for path in _each_path(base):
        for value in JUNK:
            try:
                normalize_order(_with(base, path, value))
            except NormalizeError:
                pass


@pytest.mark.parametrize(
    ("name", "normalize"),
    [
        ("shipment_trackings.json", lambda d: normalize_trackings("1482", d, utc(2026, 11, 30))),
        ("ast_shipment_trackings.json", lambda d: normalize_trackings("1517", d, utc(2026, 11, 30), trackship=d)),
        ("order_fulfillments.json", lambda d: normalize_fulfillments("1482", d, utc_offset=MADRID)),
    ],
)
def test_only_normalize_error_escapes_from_junk_plugin_data(name: str, normalize: Any) -> None:
    base = load(name)
    for path in _each_path(base):
        for value in JUNK:
            try:
                normalize(_with(base, path, value))
            except NormalizeError:
                pass
