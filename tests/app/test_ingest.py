"""Processing stored events: orders and shipments land in SQL, monotonically, and plan messages once."""

from __future__ import annotations

import copy
import json
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from app.models import Message, Order, Shipment, WebhookEvent
from app.services.ingest import claim_pending, process_events
from tests.conftest import load_fixture

ORDER_ID = "6102938475610293847"


def run_pending(db: Any) -> None:
    while ids := claim_pending(100):
        process_events(ids)


def kinds(db: Any) -> list[str]:
    return sorted(m.kind for m in db.session.scalars(select(Message)))


def test_order_and_fulfillments_become_rows(db: Any, shop: Any, post_shopify: Any) -> None:
    post_shopify("orders/create", load_fixture("shopify", "orders_create.json"), "e1")
    post_shopify("fulfillments/create", load_fixture("shopify", "fulfillments_create.json"), "e2")
    run_pending(db)
    order = db.session.scalar(select(Order))
    assert order.external_id == ORDER_ID  # above 2**53, kept exactly
    assert (order.number, order.email, order.locale) == ("#1001", "lucia.martin@example.com", "es")
    raw = load_fixture("shopify", "orders_create.json")
    assert order.currency == "EUR" and order.total_amount == Decimal(raw["total_price"])
    assert len(order.line_items) == len(raw["line_items"])
    shipment = db.session.scalar(select(Shipment))
    assert (shipment.carrier, shipment.tracking_number) == ("Correos", "PQ4F6P0703673180128000P")
    assert kinds(db) == ["shipped"]
    statuses = {e.status for e in db.session.scalars(select(WebhookEvent))}
    assert statuses == {"processed"}


def test_status_changes_plan_one_message_each(db: Any, shop: Any, post_shopify: Any) -> None:
    post_shopify("orders/create", load_fixture("shopify", "orders_create.json"), "e1")
    post_shopify("fulfillments/create", load_fixture("shopify", "fulfillments_create.json"), "e2")
    post_shopify("orders/updated", load_fixture("shopify", "orders_updated.json"), "e3")
    post_shopify("fulfillments/update", load_fixture("shopify", "fulfillments_update.json"), "e4")
    run_pending(db)
    shipment = db.session.scalar(select(Shipment))
    assert shipment.status == "delivered"
    assert kinds(db) == ["delivered", "shipped"]
    # The same delivery again under a new event id (Shopify retries with new ids too): nothing new.
    post_shopify("fulfillments/update", load_fixture("shopify", "fulfillments_update.json"), "e5")
    run_pending(db)
    assert kinds(db) == ["delivered", "shipped"]


def test_late_in_transit_never_undoes_delivered(db: Any, shop: Any, post_shopify: Any) -> None:
    post_shopify("orders/create", load_fixture("shopify", "orders_create.json"), "e1")
    post_shopify("fulfillments/update", load_fixture("shopify", "fulfillments_update.json"), "e2")
    run_pending(db)
    late = load_fixture("shopify", "orders_updated.json")  # older news: in_transit
    post_shopify("orders/updated", late, "e3")
    newer_but_wrong = copy.deepcopy(late)
    newer_but_wrong["updated_at"] = "2026-12-01T00:00:00+01:00"
    newer_but_wrong["fulfillments"][0]["updated_at"] = "2026-12-01T00:00:00+01:00"
    post_shopify("orders/updated", newer_but_wrong, "e4")
    run_pending(db)
    assert db.session.scalar(select(Shipment)).status == "delivered"
    assert kinds(db) == ["delivered"]  # first heard of at delivery: one message, not "shipped" too


def test_older_order_payload_does_not_overwrite_newer(db: Any, shop: Any, post_shopify: Any) -> None:
    newer = load_fixture("shopify", "orders_updated.json")
    newer["email"] = newer["contact_email"] = "new@example.com"
    newer.get("customer", {})["email"] = "new@example.com"
    post_shopify("orders/updated", newer, "e1")
    run_pending(db)
    post_shopify("orders/create", load_fixture("shopify", "orders_create.json"), "e2")  # arrives late
    run_pending(db)
    assert db.session.scalar(select(Order)).email == "new@example.com"


def test_cancelled_order_sends_nothing(db: Any, shop: Any, post_shopify: Any) -> None:
    post_shopify("orders/cancelled", load_fixture("shopify", "orders_cancelled.json"), "e1")
    run_pending(db)
    order = db.session.scalar(select(Order))
    assert order.cancelled_at is not None
    assert kinds(db) == []


def test_bad_payload_is_kept_with_its_error_and_does_not_block(db: Any, shop: Any, post_shopify: Any) -> None:
    broken = load_fixture("shopify", "orders_create.json")
    broken["total_price"] = "lots"
    del broken["total_price_set"]
    post_shopify("orders/create", broken, "bad")
    good = load_fixture("shopify", "orders_multiple_fulfillments.json")
    post_shopify("orders/create", good, "good")
    run_pending(db)
    bad = db.session.scalar(select(WebhookEvent).where(WebhookEvent.event_id == "bad"))
    assert bad.status == "failed" and "normalise" in bad.error
    assert json.loads(bad.payload)["total_price"] == "lots"  # kept for inspection
    assert db.session.scalar(select(WebhookEvent).where(WebhookEvent.event_id == "good")).status == "processed"
    assert db.session.scalar(select(Order)).number == "#1042"


def test_fulfillment_before_its_order_waits_then_applies(db: Any, shop: Any, post_shopify: Any, app: Any) -> None:
    post_shopify("fulfillments/create", load_fixture("shopify", "fulfillments_create.json"), "early")
    run_pending(db)
    event = db.session.scalar(select(WebhookEvent))
    assert event.status == "pending" and "not stored yet" in event.error
    assert claim_pending(100) == []  # not retried at once
    post_shopify("orders/create", load_fixture("shopify", "orders_create.json"), "order")
    run_pending(db)
    event.claimed_at = None  # as if the retry delay had passed
    db.session.commit()
    run_pending(db)
    assert db.session.scalar(select(Shipment)).tracking_number == "PQ4F6P0703673180128000P"
    assert kinds(db) == ["shipped"]


def test_multiple_fulfillments_each_tracked(db: Any, shop: Any, post_shopify: Any) -> None:
    post_shopify("orders/create", load_fixture("shopify", "orders_multiple_fulfillments.json"), "e1")
    run_pending(db)
    shipments = db.session.scalars(select(Shipment).order_by(Shipment.external_id)).all()
    assert [(s.status, s.cancelled) for s in shipments] == [
        ("delivered", False), ("pending", True), ("in_transit", False)]
    assert kinds(db) == ["delivered", "shipped"]
