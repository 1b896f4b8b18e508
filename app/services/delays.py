"""The periodic sweep: quiet shipments expire, late or stuck ones get one apologetic email and a flag."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from flask import current_app
from sqlalchemy import func, or_, select

from app.extensions import db
from app.models import Order, Shipment
from app.services import outbox
from connectors.model import ShipmentStatus as Status

FINAL = (Status.DELIVERED.value, Status.EXPIRED.value)


@dataclass(frozen=True)
class SweepResult:
    expired: int = 0
    late: int = 0
    stuck: int = 0


def sweep(now: datetime | None = None) -> SweepResult:
    """Safe to run twice: every change is guarded by the state it changes, and each email has its key."""
    now = now or datetime.now(UTC)
    cfg = current_app.config
    live = (Shipment.status.not_in(FINAL), Shipment.cancelled.is_(False), Order.cancelled_at.is_(None))
    quiet_since = func.coalesce(Shipment.last_event_at, Shipment.shipped_at, Shipment.created_at)

    expired = 0
    old = now - timedelta(days=cfg["EXPIRE_AFTER_DAYS"])
    for s in db.session.scalars(select(Shipment).join(Order).where(*live, quiet_since < old)):
        s.status, s.status_at = Status.EXPIRED.value, now  # no carrier news for a month: nobody will send any
        s.eta_start = s.eta_end = None
        expired += 1

    late = stuck = 0
    grace = timedelta(hours=cfg["LATE_GRACE_HOURS"])
    stale = now - timedelta(days=cfg["STUCK_AFTER_DAYS"])
    candidates = select(Shipment).join(Order).where(
        *live, Shipment.is_return.is_(False),
        Shipment.delay_reason.is_(None), Shipment.status != Status.EXCEPTION.value,
        Shipment.tracking_number.is_not(None),
        or_(Shipment.eta_end < now - grace, quiet_since < stale))
    for s in db.session.scalars(candidates):
        s.delay_reason = "late" if s.eta_end is not None and s.eta_end < now - grace else "stuck"
        s.delayed_at = now
        late += s.delay_reason == "late"
        stuck += s.delay_reason == "stuck"
        outbox.schedule(s.order, s, "delayed")
    db.session.commit()
    return SweepResult(expired, late, stuck)
