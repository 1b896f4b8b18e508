"""The Shopify normaliser against recorded-shape webhook bodies."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from connectors.base import NormalizeError
from connectors.model import (
    Address,
    LineItem,
    Money,
    Shipment,
    ShipmentItem,
    ShipmentStatus,
    TrackingEvent,
)
from connectors.shopify.normalize import normalize_fulfillment, normalize_order
from connectors.shopify.statuses import (
    SHIPMENT_STATUSES,
    is_cancelled,
    shipment_status_for,
)

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "shopify"

ORDER_ID = "6102938475610293847"
FULFILLMENT_ID = "4812345678901234567"
MADRID = timezone(timedelta(hours=1))
CDMX = timezone(timedelta(hours=-6))
EASTERN = timezone(timedelta(hours=-5))


def load(name: str) -> dict[str, Any]:
    """A fixture exactly as Shopify would POST it, parsed the way Flask parses it."""
    with (FIXTURES / name).open(encoding="utf-8") as fh:
        data: dict[str, Any] = json.load(fh)
    return data


# --- the fixtures themselves ----------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "orders_create.json",
        "orders_updated.json",
        "orders_cancelled.json",
        "orders_multiple_fulfillments.json",
        "fulfillments_create.json",
        "fulfillments_update.json",
    ],
)
def test_fixture_ids_are_json_integers_beyond_float_precision(name: str) -> None:
    payload = load(name)
    assert "order" not in payload and "fulfillment" not in payload  # bare resource
    assert isinstance(payload["id"], int)
    assert payload["id"] > 2**53
    # An odd id above 2**53 cannot survive a float: the test would catch a float path.
    assert int(float(payload["id"])) != payload["id"]


def test_fixtures_tell_one_consistent_story() -> None:
    created = load("orders_create.json")
    updated = load("orders_updated.json")
    f_create = load("fulfillments_create.json")
    f_update = load("fulfillments_update.json")
    assert (
        created["id"] == updated["id"] == f_create["order_id"] == f_update["order_id"]
    )
    assert f_create["id"] == f_update["id"] == updated["fulfillments"][0]["id"]
    assert datetime.fromisoformat(updated["updated_at"]) > datetime.fromisoformat(
        created["updated_at"]
    )
    assert datetime.fromisoformat(f_update["updated_at"]) > datetime.fromisoformat(
        f_create["updated_at"]
    )
    assert f_update["shipment_status"] == "delivered"


# --- orders ---------------------------------------------------------------------


def test_orders_create() -> None:
    order = normalize_order(load("orders_create.json"))

    assert order.external_id == ORDER_ID
    assert order.number == "#1001"
    assert order.created_at == datetime(2026, 11, 20, 10, 15, tzinfo=MADRID)
    assert order.created_at.utcoffset() == timedelta(hours=1)
    assert order.updated_at == datetime(2026, 11, 20, 10, 15, 3, tzinfo=MADRID)
    assert order.total == Money(Decimal("123.85"), "EUR")
    assert isinstance(order.total.amount, Decimal)
    assert str(order.total.amount) == "123.85"
    assert order.locale == "es"
    assert order.financial_status == "paid"
    assert order.fulfillment_status is None
    assert order.cancelled_at is None
    assert order.shipments == ()
    assert order.refunds == ()

    assert order.customer.external_id == "7234567890123456789"
    assert order.customer.email == "lucia.martin@example.com"
    assert order.customer.first_name == "Lucía"
    assert order.customer.last_name == "Martín Gómez"
    assert order.customer.name == "Lucía Martín Gómez"
    assert order.customer.locale == "es"

    assert order.line_items == (
        LineItem(
            external_id="15678901234567891",
            title="Camiseta de algodón orgánico",
            quantity=2,
            price=Money(Decimal("29.95"), "EUR"),
            sku="CAM-ORG-M-AZ",
            variant_title="M / Azul marino",
            product_id="9012345678901234567",
            variant_id="9123456789012345679",
        ),
        LineItem(
            external_id="15678901234567893",
            title="Zapatillas de lona",
            quantity=1,
            price=Money(Decimal("59.00"), "EUR"),
            sku="ZAP-LON-42-BL",
            variant_title="42 / Blanco",
            product_id="9012345678901234569",
            variant_id="9123456789012345681",
        ),
    )
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


def test_orders_updated_carries_the_fulfillment() -> None:
    created = normalize_order(load("orders_create.json"))
    order = normalize_order(load("orders_updated.json"))

    assert order.external_id == created.external_id == ORDER_ID
    assert order.updated_at > created.updated_at
    assert order.fulfillment_status == "fulfilled"
    assert order.shipments == (
        Shipment(
            external_id=FULFILLMENT_ID,
            status=ShipmentStatus.IN_TRANSIT,
            created_at=datetime(2026, 11, 21, 9, 30, tzinfo=MADRID),
            updated_at=datetime(2026, 11, 22, 8, 5, 10, tzinfo=MADRID),
            carrier="Correos",
            tracking_number="PQ4F6P0703673180128000P",
            tracking_url=(
                "https://www.correos.es/es/es/herramientas/localizador/envios/detalle"
                "?tracking-number=PQ4F6P0703673180128000P"
            ),
            items=(
                ShipmentItem("15678901234567891", 2),
                ShipmentItem("15678901234567893", 1),
            ),
            events=(
                TrackingEvent(
                    status=ShipmentStatus.IN_TRANSIT,
                    occurred_at=datetime(2026, 11, 22, 8, 5, 10, tzinfo=MADRID),
                    raw_status="in_transit",
                ),
            ),
            cancelled=False,
        ),
    )


def test_orders_cancelled_es_mx_with_refund() -> None:
    order = normalize_order(load("orders_cancelled.json"))

    assert order.external_id == "6198765432109876543"
    assert order.number == "#2045"
    assert order.locale == "es-MX"  # kept as given; the app picks the language
    assert order.customer.locale == "es-MX"
    assert order.total == Money(Decimal("1348.00"), "MXN")
    assert order.cancelled_at == datetime(2026, 11, 19, 8, 11, 9, tzinfo=CDMX)
    assert order.financial_status == "refunded"
    assert order.customer.email == "mariana.hernandez@example.com"
    assert order.shipping_address is not None
    assert order.shipping_address.country_code == "MX"
    assert order.shipping_address.line2 == "Col. Crédito Constructor"
    assert order.shipping_address.postal_code == "03940"  # leading zero kept
    assert len(order.refunds) == 1
    refund = order.refunds[0]
    assert refund.external_id == "3456789012345678901"
    assert refund.amount == Money(Decimal("1348.00"), "MXN")
    assert refund.created_at == datetime(2026, 11, 19, 8, 11, 8, tzinfo=CDMX)
    assert refund.note == "Cancelado a petición de la clienta"


def test_refund_counts_only_successful_refund_transactions() -> None:
    payload = load("orders_cancelled.json")
    transactions = payload["refunds"][0]["transactions"]
    failed = copy.deepcopy(transactions[0])
    failed.update(id=5567890123456789015, status="failure", amount="1348.00")
    other_kind = copy.deepcopy(transactions[0])
    other_kind.update(id=5567890123456789017, kind="void", amount="5.00")
    transactions += [failed, other_kind]
    refund = normalize_order(payload).refunds[0]
    assert refund.amount == Money(Decimal("1348.00"), "MXN")


def test_order_with_several_fulfillments() -> None:
    order = normalize_order(load("orders_multiple_fulfillments.json"))

    assert order.external_id == "6287654321098765433"
    assert order.total == Money(Decimal("230.56"), "USD")
    assert order.locale == "en"
    assert order.created_at == datetime(2026, 11, 20, 10, 15, tzinfo=EASTERN)
    assert [li.quantity for li in order.line_items] == [1, 2, 1]
    assert sum(
        (li.price.amount * li.quantity for li in order.line_items), Decimal(0)
    ) == Decimal("212.99")

    usps, fedex, ups = order.shipments
    assert usps.external_id == "4923456789012345671"
    assert usps.carrier == "USPS"
    assert usps.tracking_number == "9400111202555842761043"
    assert usps.status is ShipmentStatus.DELIVERED
    assert usps.cancelled is False
    assert usps.items == (
        ShipmentItem("17890123456789011", 1),
        ShipmentItem("17890123456789013", 2),
    )
    assert usps.events[0].raw_status == "delivered"

    assert fedex.cancelled is True
    assert fedex.status is ShipmentStatus.PENDING
    assert fedex.events == ()

    assert ups.status is ShipmentStatus.IN_TRANSIT
    assert ups.tracking_number == "1Z9X8Y7W0312345678"  # first of tracking_numbers
    assert ups.tracking_url is not None and ups.tracking_url.endswith(
        "1Z9X8Y7W0312345678"
    )
    assert ups.cancelled is False


def test_number_falls_back_to_order_number() -> None:
    payload = load("orders_create.json")
    del payload["name"]
    assert normalize_order(payload).number == "1001"


def test_customer_email_falls_back_to_order_email_for_guests() -> None:
    payload = load("orders_create.json")
    payload["customer"] = None
    payload["email"] = "guest@example.com"
    customer = normalize_order(payload).customer
    assert customer.external_id is None
    assert customer.email == "guest@example.com"
    assert customer.locale == "es"

    payload["email"] = ""
    payload["contact_email"] = "contact@example.com"
    assert normalize_order(payload).customer.email == "contact@example.com"


def test_total_and_currency_fall_back_to_the_shop_money_set() -> None:
    payload = load("orders_create.json")
    del payload["total_price"]
    del payload["currency"]
    assert normalize_order(payload).total == Money(Decimal("123.85"), "EUR")


def test_ids_given_as_strings_are_kept_exact() -> None:
    payload = load("orders_create.json")
    payload["id"] = ORDER_ID
    assert normalize_order(payload).external_id == ORDER_ID


def test_normalize_order_does_not_mutate_the_payload() -> None:
    payload = load("orders_updated.json")
    before = copy.deepcopy(payload)
    normalize_order(payload)
    assert payload == before


# --- fulfillments ---------------------------------------------------------------


def test_fulfillments_create() -> None:
    order_id, shipment = normalize_fulfillment(load("fulfillments_create.json"))

    assert order_id == ORDER_ID
    assert shipment.external_id == FULFILLMENT_ID
    assert shipment.carrier == "Correos"
    assert shipment.tracking_number == "PQ4F6P0703673180128000P"
    assert shipment.status is ShipmentStatus.PENDING  # shipment_status null
    assert shipment.events == ()  # nothing from the carrier yet
    assert shipment.cancelled is False
    assert shipment.created_at == datetime(2026, 11, 21, 9, 30, tzinfo=MADRID)
    assert shipment.items == (
        ShipmentItem("15678901234567891", 2),
        ShipmentItem("15678901234567893", 1),
    )


def test_fulfillments_update_delivered() -> None:
    order_id, shipment = normalize_fulfillment(load("fulfillments_update.json"))

    assert order_id == ORDER_ID
    assert shipment.external_id == FULFILLMENT_ID
    assert shipment.status is ShipmentStatus.DELIVERED
    assert shipment.status.is_final
    delivered_at = datetime(2026, 11, 23, 13, 42, 7, tzinfo=MADRID)
    assert shipment.updated_at == delivered_at
    assert shipment.updated_at.astimezone(UTC) == datetime(
        2026, 11, 23, 12, 42, 7, tzinfo=UTC
    )
    assert shipment.events == (
        TrackingEvent(
            status=ShipmentStatus.DELIVERED,
            occurred_at=delivered_at,
            raw_status="delivered",
        ),
    )


def test_fulfillment_in_order_and_webhook_agree() -> None:
    _, from_webhook = normalize_fulfillment(load("fulfillments_create.json"))
    from_order = normalize_order(load("orders_updated.json")).shipments[0]
    assert from_webhook.external_id == from_order.external_id
    assert from_webhook.items == from_order.items
    assert from_webhook.tracking_url == from_order.tracking_url


@pytest.mark.parametrize("status", ["cancelled", "error", "failure"])
def test_failed_fulfillment_is_cancelled(status: str) -> None:
    payload = load("fulfillments_create.json")
    payload["status"] = status
    _, shipment = normalize_fulfillment(payload)
    assert shipment.cancelled is True


def test_tracking_falls_back_to_the_lists() -> None:
    payload = load("fulfillments_update.json")
    payload["tracking_number"] = None
    payload["tracking_url"] = None
    payload["tracking_numbers"] = ["LX123456789ES"]
    payload["tracking_urls"] = ["https://example.com/t/LX123456789ES"]
    _, shipment = normalize_fulfillment(payload)
    assert shipment.tracking_number == "LX123456789ES"
    assert shipment.tracking_url == "https://example.com/t/LX123456789ES"


def test_unknown_shipment_status_keeps_raw_value() -> None:
    payload = load("fulfillments_update.json")
    payload["shipment_status"] = "teleported"
    _, shipment = normalize_fulfillment(payload)
    assert shipment.status is ShipmentStatus.IN_TRANSIT  # status is success
    assert shipment.events[0].raw_status == "teleported"


# --- the status table -----------------------------------------------------------

EXPECTED_TABLE: dict[str | None, ShipmentStatus] = {
    None: ShipmentStatus.PENDING,
    "label_printed": ShipmentStatus.INFO_RECEIVED,
    "label_purchased": ShipmentStatus.INFO_RECEIVED,
    "confirmed": ShipmentStatus.INFO_RECEIVED,
    "carrier_picked_up": ShipmentStatus.IN_TRANSIT,
    "in_transit": ShipmentStatus.IN_TRANSIT,
    "delayed": ShipmentStatus.IN_TRANSIT,
    "out_for_delivery": ShipmentStatus.OUT_FOR_DELIVERY,
    "attempted_delivery": ShipmentStatus.ATTEMPT_FAIL,
    "ready_for_pickup": ShipmentStatus.AVAILABLE_FOR_PICKUP,
    "picked_up": ShipmentStatus.DELIVERED,
    "delivered": ShipmentStatus.DELIVERED,
    "failure": ShipmentStatus.EXCEPTION,
}


def test_status_table_covers_every_shopify_value() -> None:
    assert dict(SHIPMENT_STATUSES) == EXPECTED_TABLE


@pytest.mark.parametrize(("raw", "expected"), list(EXPECTED_TABLE.items()))
def test_status_table_is_used_whatever_the_fulfillment_status(
    raw: str | None, expected: ShipmentStatus
) -> None:
    assert shipment_status_for(raw, "success") is expected
    assert shipment_status_for(raw, "pending") is expected
    if raw is not None:
        assert shipment_status_for(raw.upper(), "success") is expected


@pytest.mark.parametrize(("raw", "expected"), list(EXPECTED_TABLE.items()))
def test_every_status_flows_through_normalize_fulfillment(
    raw: str | None, expected: ShipmentStatus
) -> None:
    payload = load("fulfillments_update.json")
    payload["shipment_status"] = raw
    _, shipment = normalize_fulfillment(payload)
    assert shipment.status is expected
    assert len(shipment.events) == (0 if raw is None else 1)


def test_unknown_status_depends_on_fulfillment_status() -> None:
    assert shipment_status_for("teleported", "success") is ShipmentStatus.IN_TRANSIT
    assert shipment_status_for("teleported", "pending") is ShipmentStatus.PENDING
    assert shipment_status_for("teleported", "open") is ShipmentStatus.PENDING
    assert shipment_status_for("teleported", None) is ShipmentStatus.PENDING


def test_is_cancelled() -> None:
    for status in ("cancelled", "error", "failure", "CANCELLED"):
        assert is_cancelled(status)
    for other in ("success", "pending", "open", None):
        assert not is_cancelled(other)


# --- bad payloads ---------------------------------------------------------------


def _without(payload: dict[str, Any], key: str) -> dict[str, Any]:
    payload = dict(payload)
    del payload[key]
    return payload


@pytest.mark.parametrize(
    "key", ["id", "created_at", "updated_at", "total_price", "line_items"]
)
def test_order_missing_required_field(key: str) -> None:
    payload = load("orders_create.json")
    if key == "total_price":
        del payload["total_price_set"]
    if key == "line_items":
        payload["line_items"][0] = _without(payload["line_items"][0], "id")
    else:
        del payload[key]
    with pytest.raises(NormalizeError):
        normalize_order(payload)


def test_order_missing_currency() -> None:
    payload = load("orders_create.json")
    del payload["currency"]
    del payload["total_price_set"]
    with pytest.raises(NormalizeError, match="currency"):
        normalize_order(payload)


def test_order_missing_id_message_is_clear() -> None:
    with pytest.raises(NormalizeError, match="missing required 'id'"):
        normalize_order(_without(load("orders_create.json"), "id"))


@pytest.mark.parametrize(
    ("mutate", "match"),
    [
        (lambda p: p.update(total_price="12,50"), "total_price"),
        (lambda p: p.update(total_price="NaN"), "total_price"),
        (lambda p: p.update(total_price=123.85), "total_price"),
        (
            lambda p: p["line_items"][0].update(price="gratis"),
            r"line_items\[0\]\.price",
        ),
        (lambda p: p["line_items"][1].update(price=None), r"line_items\[1\]\.price"),
        (lambda p: p["line_items"][0].update(quantity="2"), "quantity"),
        (lambda p: p["line_items"][0].update(quantity=True), "quantity"),
        (lambda p: p.update(created_at="20/11/2026 10:15"), "created_at"),
        (lambda p: p.update(created_at="2026-11-20T10:15:00"), "offset"),
        (lambda p: p.update(updated_at=1763630100), "updated_at"),
        (lambda p: p.update(cancelled_at="yesterday"), "cancelled_at"),
        (lambda p: p.update(id=6.102938475610293e18), "id"),
        (lambda p: p.update(id=True), "id"),
        (lambda p: p.update(id="gid://shopify/Order/1"), "id"),
        (lambda p: p.update(currency="EURO"), "currency"),
        (lambda p: p.update(line_items={"id": 1}), "line_items"),
        (lambda p: p.update(line_items=["not an object"]), r"line_items\[0\]"),
        (lambda p: p.update(customer="lucia"), "customer"),
        (lambda p: p.update(shipping_address=[]), "shipping_address"),
        (lambda p: p.update(customer_locale=7), "customer_locale"),
    ],
)
def test_order_with_wrong_types(mutate: Any, match: str) -> None:
    payload = load("orders_create.json")
    mutate(payload)
    with pytest.raises(NormalizeError, match=match):
        normalize_order(payload)


def test_bad_fulfillment_inside_order() -> None:
    payload = load("orders_updated.json")
    payload["fulfillments"][0]["updated_at"] = "not a date"
    with pytest.raises(NormalizeError, match=r"fulfillments\[0\]\.updated_at"):
        normalize_order(payload)


def test_bad_refund_amount() -> None:
    payload = load("orders_cancelled.json")
    payload["refunds"][0]["transactions"][0]["amount"] = "mil"
    with pytest.raises(NormalizeError, match=r"refunds\[0\]\.transactions\[0\]"):
        normalize_order(payload)


@pytest.mark.parametrize("key", ["id", "order_id", "created_at", "updated_at"])
def test_fulfillment_missing_required_field(key: str) -> None:
    with pytest.raises(NormalizeError, match=key):
        normalize_fulfillment(_without(load("fulfillments_update.json"), key))


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("order_id", 6.1e18),
        ("order_id", None),
        ("tracking_number", 123),
        ("shipment_status", ["delivered"]),
        ("updated_at", "2026-13-40T99:00:00+01:00"),
        ("line_items", [{"id": 1, "quantity": -1}]),
        ("tracking_numbers", [123]),
    ],
)
def test_fulfillment_with_wrong_types(key: str, value: Any) -> None:
    payload = load("fulfillments_update.json")
    payload[key] = value
    if key == "tracking_numbers":
        payload["tracking_number"] = None
    with pytest.raises(NormalizeError):
        normalize_fulfillment(payload)


@pytest.mark.parametrize("payload", [None, [], "order", 42, b"{}"])
def test_not_a_dict(payload: Any) -> None:
    with pytest.raises(NormalizeError):
        normalize_order(payload)
    with pytest.raises(NormalizeError):
        normalize_fulfillment(payload)


def test_only_normalize_error_escapes_from_junk() -> None:
    """Whatever a broken payload holds, callers only ever see NormalizeError."""
    junk: list[Any] = [None, "", "x", 0, -1, 1.5, True, [], {}, [None], {"a": 1}]
    base = load("orders_updated.json")
    for key in list(base):
        for value in junk:
            payload = copy.deepcopy(base)
            payload[key] = value
            try:
                normalize_order(payload)
            except NormalizeError:
                pass


def test_only_normalize_error_escapes_from_junk_fulfillments() -> None:
    """The same guarantee for fulfillment bodies and their nested line items."""
    junk: list[Any] = [None, "", "x", 0, -1, 1.5, True, [], {}, [None], {"a": 1}]
    base = load("fulfillments_update.json")
    targets: list[tuple[str, ...]] = [(key,) for key in base]
    targets += [("line_items", "0", key) for key in base["line_items"][0]]
    for path in targets:
        for value in junk:
            payload = copy.deepcopy(base)
            node: Any = payload
            for step in path[:-1]:
                node = node[int(step)] if isinstance(node, list) else node[step]
            node[path[-1]] = value
            try:
                normalize_fulfillment(payload)
                normalize_order({**load("orders_create.json"), "line_items": [node]})
            except NormalizeError:
                pass
