"""The outbox: every email the app will send is a row, unique on its idempotency key."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite

from app.extensions import db
from app.models import Message, Order, Shipment
from connectors.model import ShipmentStatus

# The status a shipment reaches -> the message kind that tells the shopper.
STATUS_MESSAGES: dict[ShipmentStatus, str] = {
    ShipmentStatus.OUT_FOR_DELIVERY: "out_for_delivery",
    ShipmentStatus.DELIVERED: "delivered",
    ShipmentStatus.EXCEPTION: "exception",
}
KINDS = ("shipped", *STATUS_MESSAGES.values())


def idempotency_key(shop_id: int, order_id: int, shipment_id: int | None, kind: str) -> str:
    return f"{shop_id}:{order_id}:{shipment_id or '-'}:{kind}"


def schedule(order: Order, shipment: Shipment | None, kind: str, send_at: datetime | None = None) -> None:
    """Add a message unless one with the same key exists (a replay adds nothing)."""
    if shipment is not None and (shipment.cancelled or shipment.is_return):
        return  # a return's parcel is news for the store; the shopper hears about the return itself
    if not order.email or order.cancelled_at is not None:
        return
    values = {
        "idempotency_key": idempotency_key(order.shop_id, order.id, shipment.id if shipment else None, kind),
        "shop_id": order.shop_id,
        "order_id": order.id,
        "shipment_id": shipment.id if shipment else None,
        "kind": kind,
        "status": "queued",
        "send_at": send_at or datetime.now(UTC),
        "attempts": 0,
        "recipient": order.email,
        "created_at": datetime.now(UTC),
    }
    add_once(values)


def add_once(values: dict[str, object]) -> None:
    """Insert a message row unless its idempotency key is already there (a replay adds nothing)."""
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    db.session.execute(insert(Message).values(**values).on_conflict_do_nothing(index_elements=["idempotency_key"]))


def plan_for_new_shipment(order: Order, shipment: Shipment) -> None:
    status = ShipmentStatus(shipment.status)
    if status == ShipmentStatus.DELIVERED:
        schedule(order, shipment, "delivered")  # first heard of at delivery: one message, not two
        return
    if shipment.tracking_number:
        schedule(order, shipment, "shipped")
    if status in STATUS_MESSAGES:
        schedule(order, shipment, STATUS_MESSAGES[status])


def plan_for_new_tracking(order: Order, shipment: Shipment) -> None:
    if ShipmentStatus(shipment.status) != ShipmentStatus.DELIVERED:
        schedule(order, shipment, "shipped")


def plan_for_status(order: Order, shipment: Shipment, status: ShipmentStatus) -> None:
    kind = STATUS_MESSAGES.get(status)
    if kind:
        schedule(order, shipment, kind)


def claim_due(limit: int, now: datetime | None = None) -> list[int]:
    """Mark up to `limit` due messages as handed to the queue; an old hand-off is retried."""
    now = now or datetime.now(UTC)  # one `now` per dispatch pass: a pass never re-takes its own claims
    lease = timedelta(seconds=current_app.config["CLAIM_LEASE_SECONDS"])
    ids = list(
        db.session.scalars(
            select(Message.id)
            .where(Message.status.in_(("queued", "sending")), Message.send_at <= now)
            .where((Message.enqueued_at.is_(None)) | (Message.enqueued_at < now - lease))
            .order_by(Message.send_at, Message.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    )
    if ids:
        db.session.execute(update(Message).where(Message.id.in_(ids)).values(enqueued_at=now))
    db.session.commit()
    return ids
