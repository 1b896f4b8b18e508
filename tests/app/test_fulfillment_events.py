"""fulfillment_events/create through the real endpoint: checkpoints move shipments once, monotonically."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from app.models import Message, Shipment, TrackingEvent, WebhookEvent
from app.services.ingest import RETRY_AFTER, claim_pending, process_events
from tests.conftest import load_fixture

TOPIC = "fulfillment_events/create"


def run_pending(db: Any) -> None:
    while ids := claim_pending(100):
        process_events(ids)


def kinds(db: Any) -> list[str]:
    return sorted(m.kind for m in db.session.scalars(select(Message)))


def checkpoint(status: str = "out_for_delivery", happened_at: str = "2026-11-22T08:05:00+01:00") -> dict[str, Any]:
    payload = load_fixture("shopify", "fulfillment_events_create.json")
    payload.update(status=status, happened_at=happened_at)
    return payload


def order_and_fulfillment(post_shopify: Any) -> None:
    assert post_shopify("orders/create", load_fixture("shopify", "orders_create.json"), "o1").status_code == 200
    assert post_shopify("fulfillments/create", load_fixture("shopify", "fulfillments_create.json"),
                        "f1").status_code == 200


def test_checkpoint_moves_the_shipment_and_tells_the_shopper_once(db: Any, shop: Any, post_shopify: Any) -> None:
    order_and_fulfillment(post_shopify)
    assert post_shopify(TOPIC, checkpoint(), "ev1").status_code == 200
    run_pending(db)
    shipment = db.session.scalar(select(Shipment))
    assert shipment.status == "out_for_delivery"
    assert shipment.status_at == datetime(2026, 11, 22, 7, 5, tzinfo=UTC)
    assert shipment.last_event_at == datetime(2026, 11, 22, 7, 5, tzinfo=UTC)
    assert shipment.promised_at == datetime(2026, 11, 22, 19, 0, tzinfo=UTC)
    assert shipment.delivered_at is None
    [event] = shipment.events
    assert (event.status, event.raw_status, event.location, event.message) == (
        "out_for_delivery", "out_for_delivery", "Madrid, Madrid, Spain",
        "En reparto: el envío saldrá hoy para su entrega")
    assert kinds(db) == ["out_for_delivery", "shipped"]
    assert {e.status for e in db.session.scalars(select(WebhookEvent))} == {"processed"}
    # The same checkpoint again (a retry, or under a new event id): no new event, no new message.
    post_shopify(TOPIC, checkpoint(), "ev1")
    post_shopify(TOPIC, checkpoint(), "ev1-again")
    run_pending(db)
    assert db.session.scalar(select(func.count()).select_from(TrackingEvent)) == 1
    assert kinds(db) == ["out_for_delivery", "shipped"]


def test_delivered_checkpoint_sets_delivered_at(db: Any, shop: Any, post_shopify: Any) -> None:
    order_and_fulfillment(post_shopify)
    post_shopify(TOPIC, checkpoint(), "ev1")
    post_shopify(TOPIC, checkpoint("delivered", "2026-11-22T12:30:00+01:00"), "ev2")
    run_pending(db)
    shipment = db.session.scalar(select(Shipment))
    assert shipment.status == "delivered"
    assert shipment.delivered_at == datetime(2026, 11, 22, 11, 30, tzinfo=UTC)
    assert kinds(db) == ["delivered", "out_for_delivery", "shipped"]


def test_checkpoint_before_its_fulfillment_waits_then_applies(db: Any, shop: Any, post_shopify: Any) -> None:
    post_shopify("orders/create", load_fixture("shopify", "orders_create.json"), "o1")
    post_shopify(TOPIC, checkpoint(), "early")
    run_pending(db)
    early = db.session.scalar(select(WebhookEvent).where(WebhookEvent.event_id == "early"))
    assert early.status == "pending"
    assert "shipment 4812345678901234567" in early.error and "not stored yet" in early.error
    assert claim_pending(100) == []  # not retried at once
    post_shopify("fulfillments/create", load_fixture("shopify", "fulfillments_create.json"), "f1")
    run_pending(db)
    assert db.session.scalar(select(Shipment)).status == "pending"  # the checkpoint is still waiting
    early.claimed_at -= RETRY_AFTER + timedelta(seconds=1)  # as if the retry delay had passed
    db.session.commit()
    run_pending(db)
    db.session.refresh(early)
    assert early.status == "processed"
    shipment = db.session.scalar(select(Shipment))
    assert shipment.status == "out_for_delivery"
    assert [e.location for e in shipment.events] == ["Madrid, Madrid, Spain"]
    assert kinds(db) == ["out_for_delivery", "shipped"]


def test_checkpoint_before_its_order_waits_too(db: Any, shop: Any, post_shopify: Any) -> None:
    post_shopify(TOPIC, checkpoint(), "early")
    run_pending(db)
    early = db.session.scalar(select(WebhookEvent))
    assert early.status == "pending" and "order 6102938475610293847 not stored yet" in early.error


def test_older_checkpoint_never_moves_the_status_back(db: Any, shop: Any, post_shopify: Any) -> None:
    order_and_fulfillment(post_shopify)
    post_shopify(TOPIC, checkpoint(), "ev-out")
    post_shopify(TOPIC, checkpoint("in_transit", "2026-11-21T18:00:00+01:00"), "ev-late")
    run_pending(db)
    shipment = db.session.scalar(select(Shipment))
    assert shipment.status == "out_for_delivery"
    assert shipment.last_event_at == datetime(2026, 11, 22, 7, 5, tzinfo=UTC)
    assert sorted(e.status for e in shipment.events) == ["in_transit", "out_for_delivery"]  # history kept
    # Delivered (by the fulfillment's own update): even a later-dated out_for_delivery never undoes it.
    post_shopify("fulfillments/update", load_fixture("shopify", "fulfillments_update.json"), "f2")
    post_shopify(TOPIC, checkpoint("out_for_delivery", "2026-11-24T09:00:00+01:00"), "ev-after")
    run_pending(db)
    db.session.refresh(shipment)
    assert shipment.status == "delivered"
    assert kinds(db) == ["delivered", "out_for_delivery", "shipped"]
