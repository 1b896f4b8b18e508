"""The fulfillment_events/create normaliser against a recorded-shape webhook body."""

from __future__ import annotations

import copy
import json
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from connectors.base import NormalizeError, TrackingEventChange, get_connector
from connectors.model import ShipmentStatus, TrackingEvent
from connectors.shopify.admin import WEBHOOK_TOPICS
from connectors.shopify.normalize import normalize_fulfillment_event

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "shopify"
MADRID = timezone(timedelta(hours=1))


def load(name: str) -> dict[str, Any]:
    with (FIXTURES / name).open(encoding="utf-8") as fh:
        data: dict[str, Any] = json.load(fh)
    return data


def event_payload() -> dict[str, Any]:
    return load("fulfillment_events_create.json")


def test_fixture_belongs_to_the_recorded_order_and_fulfillment() -> None:
    payload = event_payload()
    assert payload["order_id"] == load("orders_create.json")["id"]
    assert payload["fulfillment_id"] == load("fulfillments_create.json")["id"]
    for key in ("id", "order_id", "fulfillment_id"):
        assert isinstance(payload[key], int) and payload[key] > 2**53
        assert int(float(payload[key])) != payload[key]  # a float path would lose digits


def test_normalises_to_exact_values() -> None:
    change = normalize_fulfillment_event(event_payload())
    assert change == TrackingEventChange(
        order_external_id="6102938475610293847",
        shipment_external_id="4812345678901234567",
        event=TrackingEvent(
            status=ShipmentStatus.OUT_FOR_DELIVERY,
            occurred_at=datetime(2026, 11, 22, 8, 5, tzinfo=MADRID),
            message="En reparto: el envío saldrá hoy para su entrega",
            location="Madrid, Madrid, Spain",
            raw_status="out_for_delivery",
        ),
        estimated_delivery=datetime(2026, 11, 22, 20, 0, tzinfo=MADRID),
    )
    assert change.event.occurred_at.utcoffset() == timedelta(hours=1)


def test_the_connector_routes_the_topic() -> None:
    connector = get_connector("shopify")
    assert "fulfillment_events/create" in connector.topics
    assert WEBHOOK_TOPICS["fulfillment_events/create"] == "FULFILLMENT_EVENTS_CREATE"
    change = connector.normalize_webhook("fulfillment_events/create", event_payload())
    assert change == normalize_fulfillment_event(event_payload())


@pytest.mark.parametrize(
    ("word", "status"),
    [
        ("label_printed", ShipmentStatus.INFO_RECEIVED),
        ("label_purchased", ShipmentStatus.INFO_RECEIVED),
        ("confirmed", ShipmentStatus.INFO_RECEIVED),
        ("carrier_picked_up", ShipmentStatus.IN_TRANSIT),
        ("in_transit", ShipmentStatus.IN_TRANSIT),
        ("delayed", ShipmentStatus.IN_TRANSIT),
        ("out_for_delivery", ShipmentStatus.OUT_FOR_DELIVERY),
        ("attempted_delivery", ShipmentStatus.ATTEMPT_FAIL),
        ("ready_for_pickup", ShipmentStatus.AVAILABLE_FOR_PICKUP),
        ("picked_up", ShipmentStatus.DELIVERED),
        ("delivered", ShipmentStatus.DELIVERED),
        ("failure", ShipmentStatus.EXCEPTION),
    ],
)
def test_each_status_word(word: str, status: ShipmentStatus) -> None:
    payload = event_payload()
    payload["status"] = word
    event = normalize_fulfillment_event(payload).event
    assert (event.status, event.raw_status) == (status, word)


def test_an_unknown_word_on_a_fulfillment_still_means_it_left() -> None:
    payload = event_payload()
    payload["status"] = "held_at_customs"
    event = normalize_fulfillment_event(payload).event
    assert (event.status, event.raw_status) == (ShipmentStatus.IN_TRANSIT, "held_at_customs")


def test_location_from_what_is_present() -> None:
    payload = event_payload()
    payload["province"] = None
    payload["country"] = ""
    assert normalize_fulfillment_event(payload).event.location == "Madrid"
    payload["city"] = None
    payload["country"] = "Spain"
    assert normalize_fulfillment_event(payload).event.location == "Spain"
    payload["country"] = None
    assert normalize_fulfillment_event(payload).event.location is None


def test_optional_fields_may_be_null() -> None:
    payload = event_payload()
    for key in ("message", "city", "province", "country", "zip", "address1", "latitude", "longitude",
                "estimated_delivery_at"):
        payload[key] = None
    change = normalize_fulfillment_event(payload)
    assert (change.event.message, change.event.location, change.estimated_delivery) == (None, None, None)


def test_ids_given_as_digit_strings_are_kept_exactly() -> None:
    payload = event_payload()
    payload["order_id"] = "6102938475610293847"
    payload["fulfillment_id"] = "4812345678901234567"
    change = normalize_fulfillment_event(payload)
    assert (change.order_external_id, change.shipment_external_id) == ("6102938475610293847", "4812345678901234567")


def _without(key: str) -> dict[str, Any]:
    payload = event_payload()
    del payload[key]
    return payload


def _with(key: str, value: Any) -> dict[str, Any]:
    payload = copy.deepcopy(event_payload())
    payload[key] = value
    return payload


@pytest.mark.parametrize(
    "payload",
    [
        pytest.param([], id="not an object"),
        pytest.param(None, id="null"),
        pytest.param({"fulfillment_event": event_payload()}, id="wrapped"),
        pytest.param(_without("happened_at"), id="no happened_at"),
        pytest.param(_with("happened_at", None), id="null happened_at"),
        pytest.param(_with("happened_at", "2026-11-22T08:05:00"), id="naive happened_at"),
        pytest.param(_with("happened_at", "yesterday"), id="unparseable happened_at"),
        pytest.param(_with("happened_at", 1795331100), id="epoch happened_at"),
        pytest.param(_without("fulfillment_id"), id="no fulfillment_id"),
        pytest.param(_without("order_id"), id="no order_id"),
        pytest.param(_with("fulfillment_id", 4.812345678901235e18), id="float fulfillment_id"),
        pytest.param(_with("order_id", "gid://shopify/Order/6102938475610293847"), id="gid order_id"),
        pytest.param(_with("order_id", -1), id="negative order_id"),
        pytest.param(_without("status"), id="no status"),
        pytest.param(_with("status", ""), id="blank status"),
        pytest.param(_with("status", 3), id="numeric status"),
        pytest.param(_with("city", {"name": "Madrid"}), id="object city"),
        pytest.param(_with("message", ["en reparto"]), id="list message"),
        pytest.param(_with("estimated_delivery_at", "mañana"), id="unparseable estimate"),
    ],
)
def test_wrong_shapes_raise_normalize_error(payload: Any) -> None:
    with pytest.raises(NormalizeError):
        normalize_fulfillment_event(payload)
