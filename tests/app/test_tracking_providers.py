"""A tracking provider in the app: registered on shipping, polled on a slowing schedule, pushed updates."""

from __future__ import annotations

import hashlib
import hmac
import json
import unicodedata
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from app.models import Message, Shipment
from app.services.ingest import claim_pending, process_events
from jobs.dispatcher import dispatch_once
from tests.conftest import drain, load_fixture
from tests.fake_trackers import FakeEasyPost

NUMBER = "9400111206213385920714"  # the recorded EasyPost trackers' USPS number
SECRET = "whsec_Postventa-pruebas"


@pytest.fixture
def easypost(app: Flask, fake_easypost: FakeEasyPost) -> Iterator[FakeEasyPost]:
    before = {k: app.config[k] for k in ("TRACKING_PROVIDER", "TRACKING_PROVIDER_KEYS", "TRACKING_WEBHOOK_SECRETS",
                                         "TRACKING_PROVIDER_BASE_URL")}
    app.config.update(TRACKING_PROVIDER="easypost", TRACKING_PROVIDER_KEYS={"easypost": fake_easypost.api_key},
                      TRACKING_WEBHOOK_SECRETS={"easypost": SECRET}, TRACKING_PROVIDER_BASE_URL=fake_easypost.url)
    try:
        yield fake_easypost
    finally:
        app.config.update(before)


def ship(db: Any, post_shopify: Any, number: str = NUMBER, company: str = "USPS") -> Shipment:
    fulfillment = load_fixture("shopify", "fulfillments_create.json")
    fulfillment.update(tracking_number=number, tracking_numbers=[number], tracking_company=company,
                       tracking_url=None, tracking_urls=[],  # shipped before the recorded carrier scans
                       created_at="2026-11-01T09:00:00+00:00", updated_at="2026-11-01T09:00:00+00:00")
    post_shopify("orders/create", load_fixture("shopify", "orders_create.json"), "o1")
    post_shopify("fulfillments/create", fulfillment, "f1")
    while ids := claim_pending(100):
        process_events(ids)
    shipment: Shipment = db.session.scalar(select(Shipment))
    return shipment


def signed(body: bytes) -> str:
    key = unicodedata.normalize("NFKD", SECRET).encode()
    return "hmac-sha256-hex=" + hmac.new(key, body, hashlib.sha256).hexdigest()


def kinds(db: Any) -> list[str]:
    return sorted(m.kind for m in db.session.scalars(select(Message)))


def test_a_shipped_parcel_is_registered_and_followed(app: Flask, db: Any, shop: Any, post_shopify: Any,
                                                     easypost: FakeEasyPost) -> None:
    easypost.seed("tracker_in_transit")  # EasyPost already follows this number: creating hands it back
    s = ship(db, post_shopify)
    assert (s.provider, s.provider_id) == ("easypost", None) and s.next_poll_at is not None
    drain(app)
    db.session.expire_all()
    s = db.session.get(Shipment, s.id)
    assert s.provider_id == "trk_6c1f0e2a9b7d4c3e8f5a1b2c3d4e5f60" and s.status == "in_transit"
    assert len(s.events) >= 2 and s.promised_at is not None and s.eta_source in ("carrier", "history", "default")
    assert s.next_poll_at is not None and s.next_poll_at > datetime.now(UTC) + timedelta(hours=1)
    assert [r.method for r in easypost.requests] == ["POST"]
    # The provider pushes "out for delivery": applied at once, one email.
    body = json.dumps(load_fixture("easypost", "event_tracker_updated.json")).encode()
    client = app.test_client()
    assert client.post("/webhooks/tracking/easypost", data=body,
                       headers={"X-Hmac-Signature": "hmac-sha256-hex=00"}).status_code == 401
    resp = client.post("/webhooks/tracking/easypost", data=body, headers={"X-Hmac-Signature": signed(body)})
    assert resp.status_code == 200 and resp.get_json() == {"status": "applied", "shipments": 1}
    assert client.post("/webhooks/tracking/easypost", data=body,
                       headers={"X-Hmac-Signature": signed(body)}).status_code == 200  # a retry changes nothing
    db.session.expire_all()
    assert db.session.get(Shipment, s.id).status == "out_for_delivery"
    assert kinds(db).count("out_for_delivery") == 1
    # Delivered, found by the next poll: the shopper is told once and polling stops.
    easypost.trackers[s.provider_id] = load_fixture("easypost", "tracker_delivered.json")
    db.session.get(Shipment, s.id).next_poll_at = datetime.now(UTC) - timedelta(minutes=1)
    db.session.commit()
    dispatch_once(app)
    drain(app)
    db.session.expire_all()
    s = db.session.get(Shipment, s.id)
    assert (s.status, s.next_poll_at) == ("delivered", None) and s.delivered_at is not None
    assert kinds(db).count("delivered") == 1
    assert [r.method for r in easypost.requests] == ["POST", "GET"]


def test_provider_problems_are_kept_for_the_merchant(app: Flask, db: Any, shop: Any, post_shopify: Any,
                                                     easypost: FakeEasyPost) -> None:
    easypost.seed("tracker_return_to_sender")
    s = ship(db, post_shopify, "1Z4E81W30394867205", "UPS")
    drain(app)
    db.session.expire_all()
    s = db.session.get(Shipment, s.id)
    assert (s.status, s.delay_reason) == ("exception", "exception") and s.exception_reason


def test_unknown_or_unconfigured_providers_and_bad_bodies(app: Flask, db: Any, easypost: FakeEasyPost) -> None:
    client = app.test_client()
    assert client.post("/webhooks/tracking/aftership", data=b"{}").status_code == 404
    assert client.post("/webhooks/tracking/nope", data=b"{}").status_code == 404
    for body in (b"[1,", b"[]", json.dumps({"object": "Event", "description": "batch.created"}).encode()):
        assert client.post("/webhooks/tracking/easypost", data=body,
                           headers={"X-Hmac-Signature": signed(body)}).status_code == 400


def test_without_a_provider_nothing_is_polled(app: Flask, db: Any, shop: Any, post_shopify: Any) -> None:
    s = ship(db, post_shopify)
    assert (s.provider, s.next_poll_at) == (None, None)
