"""A return's life in Postventa: each step forward once, recorded on its timeline, told to the shopper once."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from sqlalchemy import select

from app.extensions import db
from app.labels import N_
from app.models import Return, ReturnEvent, Shipment
from app.services import outbox

# Postventa's statuses, in the order a return goes through them; the last three end it.
STATUSES = ("requested", "approved", "label_issued", "in_transit", "received", "closed", "rejected", "canceled")
STAGE = {"requested": 0, "approved": 1, "label_issued": 2, "in_transit": 3, "received": 4,
         "closed": 5, "rejected": 5, "canceled": 5}
FINAL = frozenset({"closed", "rejected", "canceled"})

STATUS_LABELS = {
    "requested": N_("Return requested"),
    "approved": N_("Return approved"),
    "label_issued": N_("Return label ready"),
    "in_transit": N_("On its way back"),
    "received": N_("Received by the store"),
    "closed": N_("Completed"),
    "rejected": N_("Return declined"),
    "canceled": N_("Return cancelled"),
}

# The email each step sends (approval waits for the label, so the label can travel with it).
EMAILS = {"requested": "return_requested", "label_issued": "return_approved", "rejected": "return_rejected",
          "received": "return_received", "closed": "return_closed"}


class WorkflowError(ValueError):
    """A step that does not apply to the return as it stands (e.g. approving a closed return)."""


def move(ret: Return, status: str, note: str | None = None, at: datetime | None = None) -> bool:
    """Forward only: an earlier or equal step is ignored, so replays and races change nothing."""
    if status not in STAGE:
        raise ValueError(f"unknown return status {status!r}")
    if ret.status in FINAL or STAGE[status] <= STAGE.get(ret.status, -1):
        return False
    now = at or datetime.now(UTC)
    ret.status, ret.updated_at = status, now
    if status == "approved":
        ret.approved_at = ret.approved_at or now
    elif status == "received":
        ret.received_at = ret.received_at or now
    elif status in FINAL:
        ret.closed_at = ret.closed_at or now
    db.session.add(ReturnEvent(return_id=ret.id, status=status, note=note, occurred_at=now))
    if status in EMAILS:
        schedule_email(ret, EMAILS[status])
    return True


def platform_key(return_id: int) -> str:
    """The idempotency key our return goes to the platform (and its label provider) under."""
    return f"postventa-return-{return_id}"


def id_in_platform_key(key: str | None) -> int | None:
    """Which of our returns a platform return carrying this key is."""
    found = re.fullmatch(r"postventa-return-(\d{1,18})", key or "")
    return int(found.group(1)) if found else None


def record_start(ret: Return) -> None:
    """The first line of the timeline, and the confirmation email, for a return just created."""
    db.session.add(ReturnEvent(return_id=ret.id, status="requested", occurred_at=ret.created_at))
    if ret.source == "portal":
        schedule_email(ret, "return_requested")


def approve(ret: Return, note: str | None = None, auto: bool = False) -> None:
    """Approved: the label (and the platform's copy of the return) are now work for the queue."""
    if ret.status != "requested":
        raise WorkflowError(f"return {ret.rma or ret.id} is {ret.status}; only a requested return can be approved")
    ret.auto_approved = auto
    ret.decision_note = note or ret.decision_note
    move(ret, "approved", note)
    if ret.source == "portal":
        ret.label_state = "pending"
        ret.sync_state = "pending"
        ret.task_enqueued_at = None


def reject(ret: Return, note: str) -> None:
    if ret.status != "requested":
        raise WorkflowError(f"return {ret.rma or ret.id} is {ret.status}; only a requested return can be declined")
    ret.decision_note = note
    move(ret, "rejected", note)
    if ret.source == "portal" and ret.external_id:
        ret.sync_state = "pending"  # decline it on the platform too
        ret.task_enqueued_at = None


def mark_received(ret: Return, note: str | None = None) -> None:
    """The items are back (the merchant says so, or the return parcel was delivered to the store)."""
    if ret.status in FINAL or STAGE[ret.status] < STAGE["approved"]:
        raise WorkflowError(f"return {ret.rma or ret.id} is {ret.status}; only an approved return can be received")
    move(ret, "received", note)


def close(ret: Return) -> None:
    """Money back (or credit, or the exchange order) goes to the platform, once; the return closes when it lands."""
    if ret.status in FINAL or STAGE[ret.status] < STAGE["approved"]:
        raise WorkflowError(f"return {ret.rma or ret.id} is {ret.status}; approve it before closing it")
    if ret.resolution_state in ("pending", "done"):
        return  # already on its way, or done: closing twice pays once
    ret.resolution_state, ret.resolution_error, ret.resolution_attempts = "pending", None, 0
    ret.task_enqueued_at = None


def retry(ret: Return) -> None:
    """The merchant asks to try failed work again (same idempotency keys: nothing is done twice)."""
    for state in ("label_state", "sync_state", "resolution_state"):
        if getattr(ret, state) == "failed":
            setattr(ret, state, "pending")
    ret.label_attempts = ret.resolution_attempts = 0
    ret.task_enqueued_at = None


def parcel_delivered(shipment: Shipment) -> None:
    """Tracking says the return parcel reached the store: the return is received."""
    ret = _return_of(shipment)
    if ret is not None and ret.status not in FINAL and STAGE[ret.status] >= STAGE["approved"]:
        move(ret, "received", None, shipment.delivered_at)


def parcel_moving(shipment: Shipment) -> None:
    ret = _return_of(shipment)
    if ret is not None:
        move(ret, "in_transit")


def _return_of(shipment: Shipment) -> Return | None:
    return db.session.scalar(select(Return).where(Return.shipment_id == shipment.id))


def schedule_email(ret: Return, kind: str) -> None:
    """One message per return and kind, whatever happens twice."""
    order = ret.order
    if not order.email:
        return
    now = datetime.now(UTC)
    outbox.add_once({"idempotency_key": f"{ret.shop_id}:{ret.order_id}:return-{ret.id}:{kind}",
                     "shop_id": ret.shop_id, "order_id": ret.order_id, "return_id": ret.id, "kind": kind,
                     "status": "queued", "send_at": now, "attempts": 0, "recipient": order.email, "created_at": now})
