"""Tracking providers: recorded AfterShip/EasyPost payloads, signatures, and the transport against local fakes."""

from __future__ import annotations

import copy
import email.utils
import json
import socket
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from connectors.base import NormalizeError
from connectors.carriers.providers import (
    PROVIDERS,
    ProviderAuthError,
    ProviderError,
    ProviderTracking,
    RetryPolicy,
    TrackingProvider,
    UnknownProvider,
    aftership_statuses,
    easypost_statuses,
    get_provider,
)
from connectors.carriers.providers.aftership import AfterShipProvider
from connectors.carriers.providers.easypost import EasyPostProvider
from connectors.model import ShipmentStatus, TrackingEvent
from tests.fake_trackers import FakeAfterShip, FakeEasyPost

# Until tests/conftest.py lists "tests.fake_trackers" in pytest_plugins (then delete these two lines).

FIXTURES = Path(__file__).parents[2] / "fixtures"
CET = timezone(timedelta(hours=1))
END_OF_DAY = timedelta(hours=23, minutes=59, seconds=59, microseconds=999999)


def load(provider: str, name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / provider / f"{name}.json").read_text())


def aftership_data(name: str) -> ProviderTracking:
    return AfterShipProvider("unused").parse_webhook({"msg": load("aftership", name)["data"]})


def easypost_tracker(tracker: dict[str, Any]) -> ProviderTracking:
    return EasyPostProvider("unused").parse_webhook({"object": "Event", "description": "tracker.updated",
                                                     "result": tracker})


class Sleeps(list[float]):
    """Records the waits a provider asked for instead of sleeping."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def retry(sleeps: Sleeps, attempts: int = 4, now: float = 1_793_862_300.0) -> RetryPolicy:
    return RetryPolicy(attempts=attempts, sleep=sleeps, now=lambda: now, timeout=5.0)


# --- AfterShip: recorded payloads --------------------------------------------------------------------


def test_aftership_created_tracking_is_pending_with_no_events() -> None:
    t = aftership_data("tracking_created")
    assert t == ProviderTracking(
        provider="aftership", provider_id="b4f7c2e9a1d84f0e9c3b6a5d7e8f9012", tracking_number="1Z5R89390357567127",
        carrier="ups", status=ShipmentStatus.PENDING, raw_status="Pending/Pending_001", exception_reason=None,
        estimated_delivery=None, events=(), updated_at=datetime(2026, 11, 2, 10, 15, 3, tzinfo=UTC))


def test_aftership_in_transit_tracking_with_checkpoints() -> None:
    t = aftership_data("tracking_in_transit")
    assert (t.status, t.raw_status, t.exception_reason) == (ShipmentStatus.IN_TRANSIT, "InTransit/InTransit_003", None)
    # The carrier promised a date (no time): late only once that whole day has passed, in UTC.
    assert t.estimated_delivery == datetime(2026, 11, 5, tzinfo=UTC) + END_OF_DAY
    assert t.updated_at == datetime(2026, 11, 4, 7, 42, 18, tzinfo=UTC)
    assert len(t.events) == 4
    assert t.events[0] == TrackingEvent(
        status=ShipmentStatus.INFO_RECEIVED, occurred_at=datetime(2026, 11, 2, 11, 2, tzinfo=CET),
        message="Shipper created a label, UPS has not received the package yet.", location="ESP",
        raw_status="InfoReceived/InfoReceived_001")
    # A checkpoint_time without an offset is read as UTC.
    assert t.events[2].occurred_at == datetime(2026, 11, 3, 2, 14, tzinfo=UTC)
    assert t.events[2].location == "Barcelona, ESP"
    assert t.events[-1] == TrackingEvent(
        status=ShipmentStatus.IN_TRANSIT, occurred_at=datetime(2026, 11, 4, 6, 58, tzinfo=CET),
        message="Arrived at Facility", location="Madrid, 28021, ESP", raw_status="InTransit/InTransit_003")
    assert all(e.occurred_at.tzinfo is not None for e in t.events)
    assert [e.occurred_at for e in t.events] == sorted(e.occurred_at for e in t.events)


def test_aftership_delivered_tracking_uses_the_end_of_the_promised_window() -> None:
    t = aftership_data("tracking_delivered")
    assert (t.status, t.raw_status, t.exception_reason) == (ShipmentStatus.DELIVERED, "Delivered/Delivered_001", None)
    assert t.estimated_delivery == datetime(2026, 11, 5, 17, 0, tzinfo=UTC)  # 18:00+01:00, the range's upper end
    assert t.estimated_delivery.tzinfo == UTC
    assert len(t.events) == 6
    assert t.events[-2].status == ShipmentStatus.OUT_FOR_DELIVERY
    assert t.events[-1] == TrackingEvent(
        status=ShipmentStatus.DELIVERED, occurred_at=datetime(2026, 11, 5, 12, 41, tzinfo=CET), message="DELIVERED",
        location="Madrid, 28013, ESP", raw_status="Delivered/Delivered_001")


def test_aftership_exception_keeps_subtag_and_reason() -> None:
    t = aftership_data("tracking_exception")
    assert t.provider_id == "e19a0c5d7f3b4e2a8c6d1f0b9a7e5c34"
    assert (t.tracking_number, t.carrier) == ("4518927364", "dhl")
    assert t.status == ShipmentStatus.EXCEPTION
    assert t.raw_status == "Exception/Exception_011"
    assert t.exception_reason == "Returned to sender"
    # No carrier estimate: AfterShip's consolidated latest estimate (its AI) is used.
    assert t.estimated_delivery == datetime(2026, 11, 10, tzinfo=UTC) + END_OF_DAY
    assert len(t.events) == 5
    assert t.events[0] == TrackingEvent(
        status=ShipmentStatus.IN_TRANSIT, occurred_at=datetime(2026, 10, 28, 17, 5, tzinfo=CET),
        message="Shipment picked up", location="Barcelona, ESP", raw_status="InTransit/InTransit_002")
    assert [e.raw_status for e in t.events[2:]] == ["Exception/Exception_007", "Exception/Exception_010",
                                                    "Exception/Exception_011"]
    assert t.events[-1] == TrackingEvent(
        status=ShipmentStatus.EXCEPTION, occurred_at=datetime(2026, 11, 6, 14, 22, tzinfo=CET),
        message="Returned to shipper", location="Barcelona, ESP", raw_status="Exception/Exception_011")
    assert t.updated_at == datetime(2026, 11, 6, 13, 40, 29, tzinfo=UTC)


def test_aftership_webhook_body_parses_the_tracking_in_msg() -> None:
    payload = load("aftership", "webhook_tracking_update")
    assert payload["event"] == "tracking_update"
    t = AfterShipProvider("unused").parse_webhook(payload)
    assert (t.provider_id, t.status, t.raw_status) == (
        "b4f7c2e9a1d84f0e9c3b6a5d7e8f9012", ShipmentStatus.OUT_FOR_DELIVERY, "OutForDelivery/OutForDelivery_001")
    assert t.estimated_delivery == datetime(2026, 11, 5, tzinfo=UTC) + END_OF_DAY
    assert len(t.events) == 5
    assert t.events[-1] == TrackingEvent(
        status=ShipmentStatus.OUT_FOR_DELIVERY, occurred_at=datetime(2026, 11, 5, 8, 5, tzinfo=CET),
        message="Out For Delivery Today", location="Madrid, 28021, ESP", raw_status="OutForDelivery/OutForDelivery_001")


def test_aftership_unknown_tag_claims_nothing_but_keeps_the_word() -> None:
    data = load("aftership", "tracking_created")["data"]
    data.update(tag="HeldAtCustoms", subtag="HeldAtCustoms_001")
    t = AfterShipProvider("unused").parse_webhook({"msg": data})
    assert (t.status, t.raw_status) == (ShipmentStatus.PENDING, "HeldAtCustoms/HeldAtCustoms_001")


@pytest.mark.parametrize(("mutate", "message"), [
    (lambda p: p.pop("msg"), "msg: expected an object, got NoneType"),
    (lambda p: p["msg"].pop("tag"), "msg.tag: required"),
    (lambda p: p["msg"].update(id=42), "msg.id: expected a string, got int"),
    (lambda p: p["msg"].update(checkpoints={"a": 1}), "msg.checkpoints: expected a list, got dict"),
    (lambda p: p["msg"]["checkpoints"][2].update(checkpoint_time="yesterday"),
     "msg.checkpoints[2].checkpoint_time: expected a date-time, got 'yesterday'"),
    (lambda p: p["msg"]["checkpoints"][1].pop("checkpoint_time"), "msg.checkpoints[1].checkpoint_time: required"),
    (lambda p: p["msg"].update(courier_estimated_delivery_date="2026-11-05"),
     "msg.courier_estimated_delivery_date: expected an object, got str"),
])
def test_aftership_wrong_shapes_name_the_path(mutate: Any, message: str) -> None:
    payload = load("aftership", "webhook_tracking_update")
    mutate(payload)
    with pytest.raises(NormalizeError) as err:
        AfterShipProvider("unused").parse_webhook(payload)
    assert str(err.value) == message


# --- EasyPost: recorded payloads ---------------------------------------------------------------------


def test_easypost_created_tracker_is_pending() -> None:
    t = easypost_tracker(load("easypost", "tracker_created"))
    assert t == ProviderTracking(
        provider="easypost", provider_id="trk_6c1f0e2a9b7d4c3e8f5a1b2c3d4e5f60",
        tracking_number="9400111206213385920714", carrier="USPS", status=ShipmentStatus.PENDING,
        raw_status="unknown/unknown", exception_reason=None, estimated_delivery=None, events=(),
        updated_at=datetime(2026, 11, 2, 13, 58, 41, tzinfo=UTC))


def test_easypost_in_transit_tracker_with_details() -> None:
    t = easypost_tracker(load("easypost", "tracker_in_transit"))
    assert (t.status, t.raw_status, t.exception_reason) == (
        ShipmentStatus.IN_TRANSIT, "in_transit/arrived_at_facility", None)
    # EasyPost writes a date as midnight UTC: the estimate is the end of that day.
    assert t.estimated_delivery == datetime(2026, 11, 6, tzinfo=UTC) + END_OF_DAY
    assert len(t.events) == 4
    assert t.events[0] == TrackingEvent(
        status=ShipmentStatus.INFO_RECEIVED, occurred_at=datetime(2026, 11, 2, 14, 5, tzinfo=UTC),
        message="Shipping Label Created, USPS Awaiting Item", location="HOUSTON, TX 77063",
        raw_status="pre_transit/label_created")
    assert t.events[-1] == TrackingEvent(
        status=ShipmentStatus.IN_TRANSIT, occurred_at=datetime(2026, 11, 4, 11, 48, tzinfo=UTC),
        message="Arrived at USPS Regional Facility", location="CHARLESTON SC DISTRIBUTION CENTER",
        raw_status="in_transit/arrived_at_facility")
    assert t.updated_at == datetime(2026, 11, 4, 11, 53, 7, tzinfo=UTC)


def test_easypost_delivered_tracker() -> None:
    t = easypost_tracker(load("easypost", "tracker_delivered"))
    assert (t.status, t.raw_status, t.exception_reason) == (
        ShipmentStatus.DELIVERED, "delivered/arrived_at_destination", None)
    assert len(t.events) == 7
    assert t.events[-1] == TrackingEvent(
        status=ShipmentStatus.DELIVERED, occurred_at=datetime(2026, 11, 6, 15, 21, tzinfo=UTC),
        message="Delivered, In/At Mailbox", location="CHARLESTON, SC 29401, US",
        raw_status="delivered/arrived_at_destination")


def test_easypost_return_to_sender_is_an_exception_with_the_reason() -> None:
    t = easypost_tracker(load("easypost", "tracker_return_to_sender"))
    assert (t.provider_id, t.tracking_number, t.carrier) == (
        "trk_0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d", "1Z4E81W30394867205", "UPS")
    assert (t.status, t.raw_status, t.exception_reason) == (
        ShipmentStatus.EXCEPTION, "return_to_sender/refused", "Refused")
    assert t.estimated_delivery == datetime(2026, 11, 4, 23, 0, tzinfo=UTC)  # a real time: taken as given
    assert len(t.events) == 4
    assert t.events[-1] == TrackingEvent(
        status=ShipmentStatus.EXCEPTION, occurred_at=datetime(2026, 11, 4, 18, 2, tzinfo=UTC),
        message="The receiver refused the delivery. Returning to sender", location="DENVER, CO 80204, US",
        raw_status="return_to_sender/refused")


def test_easypost_failure_is_an_exception_with_the_reason() -> None:
    t = easypost_tracker(load("easypost", "tracker_failure"))
    assert (t.carrier, t.status, t.raw_status, t.exception_reason) == (
        "FedEx", ShipmentStatus.EXCEPTION, "failure/damaged", "Damaged")
    assert t.estimated_delivery is None
    assert len(t.events) == 4
    assert t.events[0].location == "91746, US"
    assert t.events[-1] == TrackingEvent(
        status=ShipmentStatus.EXCEPTION, occurred_at=datetime(2026, 11, 4, 9, 16, 40, tzinfo=UTC),
        message="Shipment exception (Package damaged)", location="SACRAMENTO, CA 95828, US",
        raw_status="failure/damaged")


def test_easypost_reason_falls_back_to_the_carrier_message() -> None:
    tracker = load("easypost", "tracker_failure")
    tracker["status_detail"] = "unknown"
    assert easypost_tracker(tracker).exception_reason == "Shipment exception (Package damaged)"


def test_easypost_error_claims_nothing_but_keeps_the_reason() -> None:
    tracker = load("easypost", "tracker_created")
    tracker.update(status="error", status_detail="unknown",
                   tracking_details=[{"object": "TrackingDetail", "message": "Invalid tracking number",
                                      "description": None, "status": "error", "status_detail": None,
                                      "datetime": "2026-11-02T14:00:00Z", "source": "USPS", "carrier_code": None,
                                      "tracking_location": None}])
    t = easypost_tracker(tracker)
    assert (t.status, t.raw_status, t.exception_reason) == (
        ShipmentStatus.PENDING, "error/unknown", "Invalid tracking number")
    assert t.events[0].location is None


def test_easypost_estimate_falls_back_to_the_carrier_local_date() -> None:
    tracker = load("easypost", "tracker_in_transit")
    tracker["est_delivery_date"] = None
    assert easypost_tracker(tracker).estimated_delivery == datetime(2026, 11, 6, tzinfo=UTC) + END_OF_DAY


def test_easypost_event_webhook() -> None:
    t = EasyPostProvider("unused").parse_webhook(load("easypost", "event_tracker_updated"))
    assert (t.provider_id, t.status, t.raw_status) == (
        "trk_6c1f0e2a9b7d4c3e8f5a1b2c3d4e5f60", ShipmentStatus.OUT_FOR_DELIVERY, "out_for_delivery/out_for_delivery")
    assert t.estimated_delivery == datetime(2026, 11, 6, tzinfo=UTC) + END_OF_DAY
    assert len(t.events) == 6
    assert t.events[-1] == TrackingEvent(
        status=ShipmentStatus.OUT_FOR_DELIVERY, occurred_at=datetime(2026, 11, 6, 11, 42, tzinfo=UTC),
        message="Out for Delivery", location="CHARLESTON, SC 29401, US", raw_status="out_for_delivery/out_for_delivery")


@pytest.mark.parametrize(("mutate", "message"), [
    (lambda e: e.update(object="Tracker"), "event.object: expected 'Event', got 'Tracker'"),
    (lambda e: e.update(description="batch.updated"), "event.description: 'batch.updated' is not a tracker event"),
    (lambda e: e.pop("result"), "event.result: expected an object, got NoneType"),
    (lambda e: e["result"].pop("tracking_code"), "event.result.tracking_code: required"),
    (lambda e: e["result"].update(status=7), "event.result.status: expected a string, got int"),
    (lambda e: e["result"]["tracking_details"][1].update(datetime="2026-13-40T00:00:00Z"),
     "event.result.tracking_details[1].datetime: expected a date-time, got '2026-13-40T00:00:00Z'"),
    (lambda e: e["result"]["tracking_details"][0].update(tracking_location=["HOUSTON"]),
     "event.result.tracking_details[0].tracking_location: expected an object, got list"),
])
def test_easypost_wrong_shapes_name_the_path(mutate: Any, message: str) -> None:
    event = load("easypost", "event_tracker_updated")
    mutate(event)
    with pytest.raises(NormalizeError) as err:
        EasyPostProvider("unused").parse_webhook(event)
    assert str(err.value) == message


# --- status tables -----------------------------------------------------------------------------------


def test_aftership_table_covers_every_documented_tag() -> None:
    documented = ["Pending", "InfoReceived", "InTransit", "OutForDelivery", "AttemptFail", "Delivered",
                  "AvailableForPickup", "Exception", "Expired"]
    assert sorted(aftership_statuses.TAGS) == sorted(documented)
    assert set(aftership_statuses.TAGS.values()) == set(ShipmentStatus)


def test_easypost_table_covers_every_documented_status() -> None:
    documented = ["unknown", "pre_transit", "in_transit", "out_for_delivery", "delivered", "available_for_pickup",
                  "return_to_sender", "failure", "cancelled", "error"]
    assert sorted(easypost_statuses.STATUSES) == sorted(documented)
    assert easypost_statuses.STATUSES["return_to_sender"] == ShipmentStatus.EXCEPTION
    assert easypost_statuses.STATUSES["failure"] == ShipmentStatus.EXCEPTION


# --- webhook signatures ------------------------------------------------------------------------------

# Computed outside this code: openssl dgst -sha256 -hmac <secret> -binary <file> | base64
AFTERSHIP_SECRET = "as_whsec_7d1e0c9b4a"
AFTERSHIP_SIGNATURE = "5qb6TfUcVgrv/bZt7/rBujxlZh1/MC+HznNZOUhE8bk="
# openssl dgst -sha256 -hmac <secret> <file>, prefixed as EasyPost sends it.
EASYPOST_SECRET = "ep_whsec_tienda_9f8e7d"
EASYPOST_SIGNATURE = "hmac-sha256-hex=d40bbe52dc9edb37e25ecddcd7b1cbcc92fee6a0e5fde791b9096cdeac946476"
# Key given to openssl as the NFKD bytes of "clé-secrète" (e + U+0301, e + U+0300).
EASYPOST_NFKD_SIGNATURE = "hmac-sha256-hex=5e1849bf97a0944b5cca1da2fba855a1a4e5c3f82c2becc3aa12ffdfeb5ccba7"


def test_aftership_signature_matches_the_raw_body() -> None:
    body = (FIXTURES / "aftership" / "webhook_tracking_update.json").read_bytes()
    provider = AfterShipProvider("unused")
    assert provider.verify_webhook(body, {"aftership-hmac-sha256": AFTERSHIP_SIGNATURE}, AFTERSHIP_SECRET)
    assert provider.verify_webhook(body, {"Aftership-Hmac-Sha256": AFTERSHIP_SIGNATURE}, AFTERSHIP_SECRET)
    assert not provider.verify_webhook(body, {"aftership-hmac-sha256": AFTERSHIP_SIGNATURE}, "another-secret")
    assert not provider.verify_webhook(body + b" ", {"aftership-hmac-sha256": AFTERSHIP_SIGNATURE}, AFTERSHIP_SECRET)
    assert not provider.verify_webhook(body, {"aftership-hmac-sha256": "bm9wZQ=="}, AFTERSHIP_SECRET)
    assert not provider.verify_webhook(body, {}, AFTERSHIP_SECRET)
    assert not provider.verify_webhook(body, {"aftership-hmac-sha256": AFTERSHIP_SIGNATURE}, "")


def test_easypost_signature_matches_the_raw_body() -> None:
    body = (FIXTURES / "easypost" / "event_tracker_updated.json").read_bytes()
    provider = EasyPostProvider("unused")
    assert provider.verify_webhook(body, {"X-Hmac-Signature": EASYPOST_SIGNATURE}, EASYPOST_SECRET)
    assert provider.verify_webhook(body, {"x-hmac-signature": EASYPOST_SIGNATURE}, EASYPOST_SECRET)
    assert not provider.verify_webhook(body, {"X-Hmac-Signature": EASYPOST_SIGNATURE.removeprefix(
        "hmac-sha256-hex=")}, EASYPOST_SECRET)
    assert not provider.verify_webhook(body, {"X-Hmac-Signature": EASYPOST_SIGNATURE}, "ep_whsec_other")
    assert not provider.verify_webhook(body.replace(b"out_for_delivery", b"delivered", 1),
                                       {"X-Hmac-Signature": EASYPOST_SIGNATURE}, EASYPOST_SECRET)
    assert not provider.verify_webhook(body, {}, EASYPOST_SECRET)


def test_easypost_secret_is_nfkd_normalised() -> None:
    body = (FIXTURES / "easypost" / "event_tracker_updated.json").read_bytes()
    composed = "cl\u00e9-secr\u00e8te"  # as typed: precomposed é and è
    assert EasyPostProvider("unused").verify_webhook(body, {"X-Hmac-Signature": EASYPOST_NFKD_SIGNATURE}, composed)


# --- registry ----------------------------------------------------------------------------------------


def test_registry_builds_each_provider_by_name() -> None:
    assert PROVIDERS == ("aftership", "easypost")
    aftership = get_provider("aftership", "key", base_url="http://127.0.0.1:9/")
    easypost = get_provider("easypost", "key")
    assert isinstance(aftership, AfterShipProvider) and isinstance(easypost, EasyPostProvider)
    assert all(isinstance(p, TrackingProvider) for p in (aftership, easypost))
    assert [aftership.name, easypost.name] == list(PROVIDERS)
    assert aftership.root == "http://127.0.0.1:9/tracking/2026-07"
    assert easypost.root == "https://api.easypost.com/v2"


def test_registry_rejects_an_unknown_name_clearly() -> None:
    with pytest.raises(UnknownProvider, match=r"unknown tracking provider: '17track' \(known: aftership, easypost\)"):
        get_provider("17track", "key")
    assert issubclass(UnknownProvider, LookupError)


# --- AfterShip transport against the fake ------------------------------------------------------------


def aftership(fake: FakeAfterShip, sleeps: Sleeps, **kw: Any) -> AfterShipProvider:
    return AfterShipProvider(fake.api_key, base_url=fake.url, retry=retry(sleeps, **kw))


def test_aftership_register_creates_then_fetches_when_it_already_exists(fake_aftership: FakeAfterShip) -> None:
    provider = aftership(fake_aftership, Sleeps())
    first = provider.register("1Z5R89390357567128", "ups")
    assert (first.tracking_number, first.carrier, first.status) == ("1Z5R89390357567128", "ups", ShipmentStatus.PENDING)
    again = provider.register("1Z5R89390357567128", "ups")  # 400 / meta.code 4003 -> looked up, not duplicated
    assert again == first
    assert len(fake_aftership.trackings) == 1
    seen = [(r.method, r.path) for r in fake_aftership.requests]
    assert seen == [("POST", "/tracking/2026-07/trackings"), ("POST", "/tracking/2026-07/trackings"),
                    ("GET", "/tracking/2026-07/trackings")]
    assert fake_aftership.requests[0].body == {"tracking_number": "1Z5R89390357567128", "slug": "ups"}
    assert fake_aftership.requests[0].headers["As-Api-Key"] == fake_aftership.api_key
    assert fake_aftership.requests[2].query == {"tracking_numbers": "1Z5R89390357567128", "slug": "ups"}


def test_aftership_register_without_carrier_lets_aftership_detect_it(fake_aftership: FakeAfterShip) -> None:
    aftership(fake_aftership, Sleeps()).register("1Z5R89390357567129", None)
    assert fake_aftership.requests[0].body == {"tracking_number": "1Z5R89390357567129"}


def test_aftership_fetch_by_id_and_by_number(fake_aftership: FakeAfterShip) -> None:
    fake_aftership.seed("tracking_in_transit")
    fake_aftership.seed("tracking_exception")
    provider = aftership(fake_aftership, Sleeps())
    by_id = provider.fetch("1Z5R89390357567127", "ups", "b4f7c2e9a1d84f0e9c3b6a5d7e8f9012")
    assert by_id == aftership_data("tracking_in_transit")
    assert fake_aftership.requests[-1].path == "/tracking/2026-07/trackings/b4f7c2e9a1d84f0e9c3b6a5d7e8f9012"
    by_number = provider.fetch("4518927364", None, None)
    assert by_number == aftership_data("tracking_exception")
    with pytest.raises(ProviderError) as missing:
        provider.fetch("4518927364", "ups", None)
    assert missing.value.status == 404


def test_aftership_unknown_id_is_a_404_provider_error(fake_aftership: FakeAfterShip) -> None:
    with pytest.raises(ProviderError) as err:
        aftership(fake_aftership, Sleeps()).fetch("1Z", None, "nope")
    assert err.value.status == 404
    assert "4004 Tracking does not exist." in str(err.value)


def test_aftership_retries_429_honouring_retry_after(fake_aftership: FakeAfterShip) -> None:
    fake_aftership.seed("tracking_delivered")
    fake_aftership.fail_next(429, retry_after="3")
    sleeps = Sleeps()
    t = aftership(fake_aftership, sleeps).fetch("1Z5R89390357567127", "ups", "b4f7c2e9a1d84f0e9c3b6a5d7e8f9012")
    assert t.status == ShipmentStatus.DELIVERED
    assert sleeps == [3.0]
    assert len(fake_aftership.requests) == 2


def test_aftership_429_without_retry_after_waits_for_the_rate_limit_reset(fake_aftership: FakeAfterShip) -> None:
    fake_aftership.seed("tracking_delivered")
    fake_aftership.fail_next(429, headers={"X-RateLimit-Reset": "1793862302", "X-RateLimit-Limit": "5",
                                           "X-RateLimit-Remaining": "0"})
    sleeps = Sleeps()
    aftership(fake_aftership, sleeps, now=1_793_862_300.0).fetch("x", None, "b4f7c2e9a1d84f0e9c3b6a5d7e8f9012")
    assert sleeps == [2.0]


def test_aftership_retries_500_with_bounded_backoff(fake_aftership: FakeAfterShip) -> None:
    fake_aftership.fail_next(500, times=2)
    sleeps = Sleeps()
    t = aftership(fake_aftership, sleeps).register("1Z5R89390357567130", "ups")
    assert t.status == ShipmentStatus.PENDING
    assert sleeps == [0.5, 1.0]
    assert len(fake_aftership.trackings) == 1


def test_aftership_gives_up_after_the_last_attempt(fake_aftership: FakeAfterShip) -> None:
    fake_aftership.fail_next(503, times=3)
    sleeps = Sleeps()
    with pytest.raises(ProviderError) as err:
        aftership(fake_aftership, sleeps, attempts=3).fetch("x", None, "b4f7c2e9a1d84f0e9c3b6a5d7e8f9012")
    assert err.value.status == 503
    assert sleeps == [0.5, 1.0]


def test_aftership_wrong_key_is_an_auth_error(fake_aftership: FakeAfterShip) -> None:
    provider = AfterShipProvider("asat_wrong", base_url=fake_aftership.url, retry=retry(Sleeps()))
    with pytest.raises(ProviderAuthError) as err:
        provider.register("1Z5R89390357567131", "ups")
    assert err.value.status == 401
    assert len(fake_aftership.requests) == 1  # not retried


# --- EasyPost transport against the fake -------------------------------------------------------------


def easypost(fake: FakeEasyPost, sleeps: Sleeps, **kw: Any) -> EasyPostProvider:
    return EasyPostProvider(fake.api_key, base_url=fake.url, retry=retry(sleeps, **kw))


def test_easypost_register_is_idempotent(fake_easypost: FakeEasyPost) -> None:
    provider = easypost(fake_easypost, Sleeps())
    first = provider.register("9400111206213385920799", "USPS")
    again = provider.register("9400111206213385920799", "USPS")  # EasyPost hands back the same tracker
    assert again == first
    assert first.provider_id.startswith("trk_")
    assert len(fake_easypost.trackers) == 1
    assert fake_easypost.requests[0].body == {"tracker": {"tracking_code": "9400111206213385920799",
                                                          "carrier": "USPS"}}
    assert fake_easypost.requests[0].headers["Authorization"].startswith("Basic ")


def test_easypost_register_returns_an_existing_tracker(fake_easypost: FakeEasyPost) -> None:
    fake_easypost.seed("tracker_in_transit")
    t = easypost(fake_easypost, Sleeps()).register("9400111206213385920714", "usps")
    assert t == easypost_tracker(load("easypost", "tracker_in_transit"))


def test_easypost_fetch_by_id_and_by_code(fake_easypost: FakeEasyPost) -> None:
    fake_easypost.seed("tracker_delivered")
    fake_easypost.seed("tracker_failure")
    provider = easypost(fake_easypost, Sleeps())
    assert provider.fetch("x", None, "trk_6c1f0e2a9b7d4c3e8f5a1b2c3d4e5f60").status == ShipmentStatus.DELIVERED
    assert fake_easypost.requests[-1].path == "/v2/trackers/trk_6c1f0e2a9b7d4c3e8f5a1b2c3d4e5f60"
    assert provider.fetch("396817255501", "FedEx", None).raw_status == "failure/damaged"
    assert fake_easypost.requests[-1].query == {"tracking_code": "396817255501", "carrier": "FedEx"}
    with pytest.raises(ProviderError) as missing:
        provider.fetch("x", None, "trk_missing")
    assert missing.value.status == 404
    assert "NOT_FOUND" in str(missing.value)


def test_easypost_retries_429_and_500(fake_easypost: FakeEasyPost) -> None:
    fake_easypost.seed("tracker_in_transit")
    fake_easypost.fail_next(429, retry_after="1")
    fake_easypost.fail_next(502)
    sleeps = Sleeps()
    t = easypost(fake_easypost, sleeps).fetch("x", None, "trk_6c1f0e2a9b7d4c3e8f5a1b2c3d4e5f60")
    assert t.status == ShipmentStatus.IN_TRANSIT
    assert sleeps == [1.0, 1.0]  # Retry-After first, then the second backoff step
    assert len(fake_easypost.requests) == 3


def test_easypost_retry_after_is_bounded(fake_easypost: FakeEasyPost) -> None:
    fake_easypost.seed("tracker_in_transit")
    fake_easypost.fail_next(429, retry_after="86400")
    sleeps = Sleeps()
    easypost(fake_easypost, sleeps).fetch("x", None, "trk_6c1f0e2a9b7d4c3e8f5a1b2c3d4e5f60")
    assert sleeps == [30.0]


def test_retry_after_may_be_an_http_date(fake_easypost: FakeEasyPost) -> None:
    fake_easypost.seed("tracker_in_transit")
    now = 1_793_862_300.0
    fake_easypost.fail_next(429, retry_after=email.utils.format_datetime(
        datetime.fromtimestamp(now + 4, UTC), usegmt=True))
    sleeps = Sleeps()
    easypost(fake_easypost, sleeps, now=now).fetch("x", None, "trk_6c1f0e2a9b7d4c3e8f5a1b2c3d4e5f60")
    assert sleeps == [4.0]


def test_easypost_wrong_key_is_an_auth_error(fake_easypost: FakeEasyPost) -> None:
    provider = EasyPostProvider("EZAK_wrong", base_url=fake_easypost.url, retry=retry(Sleeps()))
    with pytest.raises(ProviderAuthError):
        provider.fetch("x", None, "trk_6c1f0e2a9b7d4c3e8f5a1b2c3d4e5f60")
    fake_easypost.fail_next(403)
    with pytest.raises(ProviderAuthError) as err:
        easypost(fake_easypost, Sleeps()).register("9400111206213385920714", None)
    assert err.value.status == 403


def test_connection_errors_are_retried_then_reported() -> None:
    with socket.socket() as s:  # a loopback port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    sleeps = Sleeps()
    provider = EasyPostProvider("key", base_url=f"http://127.0.0.1:{port}", retry=retry(sleeps, attempts=3))
    with pytest.raises(ProviderError) as err:
        provider.fetch("x", None, "trk_1")
    assert err.value.status is None
    assert sleeps == [0.5, 1.0]


def test_fixtures_are_not_mutated_by_parsing() -> None:
    tracker = load("easypost", "tracker_delivered")
    before = copy.deepcopy(tracker)
    easypost_tracker(tracker)
    assert tracker == before
