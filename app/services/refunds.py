"""Refunds the platform reports (from its admin or from us), stored once per platform refund id."""

from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.models import Order, Refund
from connectors import model


def record_refund(order: Order, refund: model.Refund) -> Refund:
    """Insert the refund unless it is already known; a replayed webhook changes nothing."""
    row = db.session.scalar(select(Refund).where(Refund.order_id == order.id, Refund.external_id == refund.external_id))
    if row is None:
        row = Refund(order_id=order.id, external_id=refund.external_id, amount=refund.amount.amount,
                     currency=refund.amount.currency, note=refund.note, refunded_at=refund.created_at)
        db.session.add(row)
        db.session.flush()
    return row
