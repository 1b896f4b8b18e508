"""Delivery windows learned from the store's deliveries, and the sweep: late, stuck, exception, expired."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from app.models import Message, Order, Shipment
from app.services import estimates
from app.services.delays import sweep
from app.services.delivery import build_email
from app.services.ingest import claim_pending, process_events
from tests.conftest import load_fixture

SHIPPED = datetime(2026, 11, 21, 8, 30, tzinfo=UTC)  # fulfillments_create.json's created_at


def ship(db: Any, post_shopify: Any) -> Shipment:
    post_shopify("orders/create", load_fixture("shopify", "orders_create.json"), "e1")
    post_shopify("fulfillments/create", load_fixture("shopify", "fulfillments_create.json"), "e2")
    while ids := claim_pending(100):
        process_events(ids)
    shipment: Shipment = db.session.scalar(select(Shipment).where(Shipment.external_id == "4812345678901234567"))
    return shipment


def past_delivery(db: Any, shop: Any, days: float, n: int) -> None:
    """A delivered Correos shipment to Madrid that took `days` days, as the store's history."""
    order = Order(shop_id=shop.id, external_id=f"h{n}", number=f"#h{n}", currency="EUR", total_amount=10,
                  placed_at=SHIPPED - timedelta(days=40), platform_updated_at=SHIPPED - timedelta(days=40))
    db.session.add(order)
    db.session.flush()
    sent = SHIPPED - timedelta(days=30)
    db.session.add(Shipment(order_id=order.id, external_id=f"hs{n}", carrier="Correos", carrier_code="correos",
                            status="delivered",
                            status_at=sent + timedelta(days=days), platform_updated_at=sent, destination="ES-M",
                            shipped_at=sent, delivered_at=sent + timedelta(days=days), tracking_number=f"T{n}"))


def test_without_history_the_window_is_the_default_and_the_email_says_it(db: Any, shop: Any,
                                                                           post_shopify: Any) -> None:
    s = ship(db, post_shopify)
    assert (s.destination, s.shipped_at) == ("ES-M", SHIPPED)
    assert (s.eta_start, s.eta_end, s.eta_source) == (SHIPPED + timedelta(days=2), SHIPPED + timedelta(days=7),
                                                      "default")
    assert "default of 2 to 7 days" in s.eta_basis
    message = db.session.scalar(select(Message).where(Message.kind == "shipped"))
    text = build_email(message).get_body(("plain",)).get_content()  # the order is in Spanish
    assert "Entrega estimada: lun 23 nov – sáb 28 nov" in text


def test_history_of_the_route_gives_an_80_percent_window(db: Any, shop: Any, post_shopify: Any) -> None:
    for n, days in enumerate([2, 2, 3, 3, 3, 3, 4, 4, 5, 9]):
        past_delivery(db, shop, days, n)
    db.session.commit()
    s = ship(db, post_shopify)
    # 8 in 10 of those took 2.0 to 5.4 days: whole days outward, 2 to 6.
    assert (s.eta_start, s.eta_end, s.eta_source) == (SHIPPED + timedelta(days=2), SHIPPED + timedelta(days=6),
                                                      "history")
    assert s.eta_basis == ("10 deliveries of Correos to ES-M in the last 180 days: 8 in 10 took 2 to 6 days")


def test_too_little_history_falls_back_to_the_carriers_promise(db: Any, shop: Any, post_shopify: Any) -> None:
    for n in range(3):
        past_delivery(db, shop, 3, n)
    db.session.commit()
    s = ship(db, post_shopify)
    s.promised_at = SHIPPED + timedelta(days=4)
    estimates.refresh(s, shop.id, SHIPPED)
    assert (s.eta_start, s.eta_end, s.eta_source) == (SHIPPED + timedelta(days=3), SHIPPED + timedelta(days=4),
                                                      "carrier")


def delayed_messages(db: Any) -> list[Message]:
    return list(db.session.scalars(select(Message).where(Message.kind == "delayed")))


def test_a_late_shipment_gets_one_apology(db: Any, shop: Any, post_shopify: Any) -> None:
    s = ship(db, post_shopify)
    s.last_event_at = SHIPPED + timedelta(days=6)  # still moving, but past its window
    db.session.commit()
    before = SHIPPED + timedelta(days=7, hours=23)  # within the day of grace
    assert sweep(before).late == 0 and delayed_messages(db) == []
    after = SHIPPED + timedelta(days=8, hours=1)
    assert sweep(after).late == 1
    assert sweep(after + timedelta(hours=1)).late == 0  # flagged once, written once
    (message,) = delayed_messages(db)
    db.session.refresh(s)
    assert (s.delay_reason, s.delayed_at) == ("late", after)
    email = build_email(message)
    assert email["Subject"] == "El pedido #1001 está tardando más de lo previsto"
    assert "no ha llegado cuando esperábamos" in email.get_body(("plain",)).get_content()


def test_a_quiet_shipment_is_stuck_then_expired(db: Any, shop: Any, post_shopify: Any) -> None:
    s = ship(db, post_shopify)
    s.eta_end = SHIPPED + timedelta(days=30)  # not late: quiet
    db.session.commit()
    assert sweep(SHIPPED + timedelta(days=4)).stuck == 0
    assert sweep(SHIPPED + timedelta(days=5, minutes=1)).stuck == 1
    db.session.refresh(s)
    assert s.delay_reason == "stuck" and len(delayed_messages(db)) == 1
    assert "no ha informado de ningún avance" in build_email(delayed_messages(db)[0]).get_body(
        ("plain",)).get_content()
    done = sweep(SHIPPED + timedelta(days=30, minutes=1))
    db.session.refresh(s)
    assert done.expired == 1 and s.status == "expired" and len(delayed_messages(db)) == 1


def test_exceptions_are_flagged_and_delivered_or_cancelled_ones_left_alone(db: Any, shop: Any,
                                                                          post_shopify: Any) -> None:
    s = ship(db, post_shopify)
    failure = load_fixture("shopify", "fulfillments_update.json")
    failure.update(shipment_status="failure", updated_at="2026-11-22T10:00:00+01:00")
    post_shopify("fulfillments/update", failure, "e3")
    process_events(claim_pending(10))
    db.session.refresh(s)
    assert (s.status, s.delay_reason) == ("exception", "exception")
    assert sweep(SHIPPED + timedelta(days=40)).expired == 1  # a month of silence after the exception
    assert delayed_messages(db) == []  # the exception email already told the shopper


def test_delivered_shipments_are_never_late(db: Any, shop: Any, post_shopify: Any) -> None:
    s = ship(db, post_shopify)
    post_shopify("fulfillments/update", load_fixture("shopify", "fulfillments_update.json"), "e3")
    process_events(claim_pending(10))
    db.session.refresh(s)
    assert s.status == "delivered" and s.delivered_at is not None and s.eta_start is None
    assert sweep(SHIPPED + timedelta(days=60)) == type(sweep())(0, 0, 0)


def test_the_tracking_page_shows_the_window_and_the_delay(db: Any, shop: Any, client: Any,
                                                          post_shopify: Any) -> None:
    from app.services.links import tracking_token

    s = ship(db, post_shopify)
    page = client.get(f"/t/{tracking_token(s.order_id)}").get_data(as_text=True)
    assert "Entrega estimada" in page and "lun 23 nov – sáb 28 nov" in page
    assert "tardando más de lo previsto" not in page
    sweep(SHIPPED + timedelta(days=9))
    page = client.get(f"/t/{tracking_token(s.order_id)}").get_data(as_text=True)
    assert "Esta entrega está tardando más de lo previsto" in page


def test_the_merchant_sees_delays_and_how_the_estimate_was_made(db: Any, shop: Any, client: Any,
                                                                post_shopify: Any) -> None:
    from app.services.status import shop_status

    ship(db, post_shopify)
    sweep(SHIPPED + timedelta(days=9))
    status = shop_status(shop)
    assert status["delayed"] == {"late": 1}
    (late,) = status["delayed_shipments"]
    assert (late["order"], late["reason"], late["carrier"]) == ("#1001", "late", "Correos")
    assert "default of 2 to 7 days" in late["estimate"]
    metrics = client.get("/metrics").get_data(as_text=True)
    assert 'postventa_shipments_delayed{reason="late"} 1' in metrics
