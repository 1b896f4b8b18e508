"""Applying common-model changes to SQL, monotonically, and deciding what to tell the shopper."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime

from flask import current_app
from sqlalchemy import select, update

from app.extensions import db
from app.models import LineItem, Message, Order, Shipment, Shop, TrackingEvent
from app.services import carrier_choice, estimates, outbox
from app.services.platform_returns import apply_platform_return
from app.services.refunds import record_refund
from connectors import model
from connectors.base import (
    Change,
    OrderChange,
    OrderDeleted,
    RefundChange,
    ReturnChange,
    ShipmentChange,
    TrackingEventChange,
)

Status = model.ShipmentStatus


class OrderNotYetKnown(LookupError):
    """A shipment arrived for an order we have not stored yet; retried later."""


def apply_change(shop: Shop, change: Change) -> Order:
    """Store what a webhook says; the caller commits."""
    if isinstance(change, OrderChange):
        return upsert_order(shop, change.order)
    if isinstance(change, ShipmentChange):
        order = _find_order(shop.id, change.order_external_id)
        if order is None:
            raise OrderNotYetKnown(f"order {change.order_external_id} not stored yet")
        upsert_shipment(order, change.shipment)
        return order
    if isinstance(change, TrackingEventChange):
        order = _find_order(shop.id, change.order_external_id)
        if order is None:
            raise OrderNotYetKnown(f"order {change.order_external_id} not stored yet")
        apply_tracking_event(order, change)
        return order
    if isinstance(change, RefundChange | ReturnChange):
        order_id = change.order_external_id if isinstance(change, RefundChange) else change.ret.order_external_id
        order = _find_order(shop.id, order_id or "")
        if order is None:
            raise OrderNotYetKnown(f"order {order_id} not stored yet")
        if isinstance(change, RefundChange):
            record_refund(order, change.refund)
        else:
            apply_platform_return(shop, order, change.ret, change.reopened)
        return order
    if isinstance(change, OrderDeleted):
        order = _find_order(shop.id, change.order_external_id)
        if order is None:
            raise OrderNotYetKnown(f"order {change.order_external_id} not stored yet")
        delete_order(order)
        return order
    raise TypeError(f"unknown change: {change!r}")


def delete_order(order: Order) -> None:
    """The store deleted the order: keep what we know, tell the shopper nothing more about it."""
    now = datetime.now(UTC)
    order.cancelled_at = order.cancelled_at or now
    # Trashing changes the order now: a late webhook from before the deletion must not bring it back.
    order.platform_updated_at = max(order.platform_updated_at, now)
    db.session.execute(update(Message).where(Message.order_id == order.id, Message.status == "queued")
                       .values(status="cancelled").execution_options(synchronize_session=False))


def _find_order(shop_id: int, external_id: str) -> Order | None:
    return db.session.scalar(
        select(Order).where(Order.shop_id == shop_id, Order.external_id == external_id).with_for_update()
    )


def upsert_order(shop: Shop, o: model.Order, notify: bool = True) -> Order:
    """Insert or update an order; a payload older than what we hold changes nothing.

    notify=False (a backfill of history) stores everything and tells the shopper nothing.
    """
    row = _find_order(shop.id, o.external_id)
    if row is None:
        row = Order(shop_id=shop.id, external_id=o.external_id, shop=shop)
        db.session.add(row)
        _copy_order(row, o)
        db.session.flush()
    elif o.updated_at >= row.platform_updated_at:
        _copy_order(row, o)
    # Even a stale order payload's shipments may carry news: each is checked on its own clock.
    for shipment in o.shipments:
        upsert_shipment(row, shipment, notify)
    for refund in o.refunds:
        record_refund(row, refund)
    return row


def _copy_order(row: Order, o: model.Order) -> None:
    row.number = o.number
    row.email = o.customer.email
    row.customer_name = o.customer.name or None
    row.locale = o.locale or o.customer.locale
    row.currency = o.total.currency
    row.total_amount = o.total.amount
    row.shipping_address = asdict(o.shipping_address) if o.shipping_address else None
    row.financial_status = o.financial_status
    row.fulfillment_status = o.fulfillment_status
    row.tags = list(o.tags)
    row.placed_at = o.created_at
    row.platform_updated_at = o.updated_at
    row.cancelled_at = o.cancelled_at
    existing = {li.external_id: li for li in row.line_items}
    for item in o.line_items:
        li = existing.get(item.external_id)
        if li is None:
            li = LineItem(external_id=item.external_id)
            row.line_items.append(li)
        li.title = item.title
        li.variant_title = item.variant_title
        li.sku = item.sku
        li.quantity = item.quantity
        li.price_amount = item.price.amount
        li.product_id = item.product_id
        li.variant_id = item.variant_id


def upsert_shipment(order: Order, s: model.Shipment, notify: bool = True) -> Shipment:
    """Insert or update a shipment; status never moves back from delivered, nor to older news."""
    row = db.session.scalar(
        select(Shipment).where(Shipment.order_id == order.id, Shipment.external_id == s.external_id)
    )
    status_at = max((e.occurred_at for e in s.events), default=s.updated_at)
    if row is None:
        row = Shipment(
            order=order,
            external_id=s.external_id,
            carrier=s.carrier,
            tracking_number=s.tracking_number,
            tracking_url=s.tracking_url,
            status=s.status.value,
            status_at=status_at,
            items=[{"line_item_id": i.line_item_id, "quantity": i.quantity} for i in s.items],
            cancelled=s.cancelled,
            platform_updated_at=s.updated_at,
            destination=estimates.destination(order.shipping_address),
            shipped_at=s.created_at,
            last_event_at=status_at,
            delivered_at=status_at if s.status == Status.DELIVERED else None,
        )
        _flag_exception(row)
        carrier_choice.apply(row, order.shop)
        _follow(row)
        db.session.add(row)
        db.session.flush()
        _add_events(row, s.events)
        estimates.refresh(row, order.shop_id, datetime.now(UTC))
        if notify:
            outbox.plan_for_new_shipment(order, row)
        return row
    if s.updated_at < row.platform_updated_at:
        _add_events(row, s.events)  # an old payload may still add a checkpoint we lacked
        return row
    had_tracking = bool(row.tracking_number)
    carrier_before = (row.carrier, row.tracking_number)
    if not row.carrier_overridden:  # the merchant's choice of carrier outlives the platform's next update
        row.carrier = s.carrier or row.carrier
    row.tracking_number = s.tracking_number or row.tracking_number
    row.tracking_url = s.tracking_url or row.tracking_url
    if s.items:
        row.items = [{"line_item_id": i.line_item_id, "quantity": i.quantity} for i in s.items]
    row.cancelled = s.cancelled
    row.platform_updated_at = s.updated_at
    _add_events(row, s.events)
    old = Status(row.status)
    if may_move(old, s.status, row.status_at, status_at):
        row.status, row.status_at = s.status.value, status_at
        if s.status == Status.DELIVERED:
            row.delivered_at = status_at
        _flag_exception(row)
    row.last_event_at = max(filter(None, (row.last_event_at, status_at)))
    if (row.carrier, row.tracking_number) != carrier_before:
        carrier_choice.apply(row, order.shop)
        _follow(row)
    if (row.carrier, row.tracking_number) != carrier_before or Status(row.status).is_final:
        estimates.refresh(row, order.shop_id, datetime.now(UTC))
    db.session.flush()
    if notify and not had_tracking and row.tracking_number:
        outbox.plan_for_new_tracking(order, row)
    if notify and Status(row.status) != old:
        outbox.plan_for_status(order, row, Status(row.status))
    if row.is_return and Status(row.status) != old:
        _return_parcel_moved(row)
    return row


def apply_tracking_event(order: Order, change: TrackingEventChange) -> Shipment:
    """A carrier checkpoint on its own: stored once, moving the status by the same monotonic rule and emails."""
    row = db.session.scalar(
        select(Shipment).where(Shipment.order_id == order.id, Shipment.external_id == change.shipment_external_id)
    )
    if row is None:
        # The fulfillment's own webhook may still be on its way: retry rather than invent a shipment.
        raise OrderNotYetKnown(
            f"shipment {change.shipment_external_id} of order {order.external_id} not stored yet")
    e = change.event
    _add_events(row, (e,))
    old = Status(row.status)
    if may_move(old, e.status, row.status_at, e.occurred_at):
        row.status, row.status_at = e.status.value, e.occurred_at
        if e.status == Status.DELIVERED:
            row.delivered_at = e.occurred_at
        if e.status == Status.EXCEPTION and e.message:
            row.exception_reason = e.message
        _flag_exception(row)
    row.last_event_at = max(filter(None, (row.last_event_at, e.occurred_at)))
    if change.estimated_delivery is not None:
        row.promised_at = change.estimated_delivery
    if change.estimated_delivery is not None or Status(row.status).is_final:
        estimates.refresh(row, order.shop_id, datetime.now(UTC))
    db.session.flush()
    if Status(row.status) != old:
        outbox.plan_for_status(order, row, Status(row.status))
        if row.is_return:
            _return_parcel_moved(row)
    return row


def _return_parcel_moved(row: Shipment) -> None:
    """A return's parcel is news for the return: on its way back, or received by the store."""
    from app.services import return_workflow  # the return workflow builds on orders, not the other way round

    if Status(row.status) == Status.DELIVERED:
        return_workflow.parcel_delivered(row)
    elif Status(row.status) not in (Status.PENDING, Status.INFO_RECEIVED):
        return_workflow.parcel_moving(row)


def _follow(row: Shipment) -> None:
    """A shipment with a tracking number goes to the tracking provider, if one is configured, at the next dispatch."""
    name = current_app.config["TRACKING_PROVIDER"]
    if name and row.tracking_number and not Status(row.status).is_final and row.provider is None:
        row.provider, row.next_poll_at = name, datetime.now(UTC)


def _flag_exception(row: Shipment) -> None:
    """An exception is a delay the merchant should see at once (its email is the exception message)."""
    if row.status == Status.EXCEPTION.value and row.delay_reason is None:
        row.delay_reason, row.delayed_at = "exception", datetime.now(UTC)


def may_move(old: Status, new: Status, old_at: datetime, new_at: datetime) -> bool:
    """The monotonic rule: never leave delivered, never take older news over newer."""
    if new == old or old == Status.DELIVERED:
        return False
    if old == Status.EXPIRED and new != Status.DELIVERED:
        return False
    return new_at >= old_at


def _add_events(row: Shipment, events: tuple[model.TrackingEvent, ...]) -> None:
    known = {(e.status, e.occurred_at.astimezone(UTC)) for e in row.events}
    for e in events:
        key = (e.status.value, e.occurred_at.astimezone(UTC))
        if key in known:
            continue
        known.add(key)
        row.events.append(
            TrackingEvent(
                status=e.status.value,
                occurred_at=e.occurred_at,
                message=e.message,
                location=e.location,
                raw_status=e.raw_status,
            )
        )
