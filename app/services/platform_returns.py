"""Returns as the platform reports them, kept in step without ever going back to an earlier state."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime

from sqlalchemy import select

from app.extensions import db
from app.models import Order, Return, Shop
from app.services import return_workflow
from connectors import model

RS = model.ReturnStatus
# How far along a return is; news of an earlier stage never overwrites a later one (webhooks arrive out of order).
STAGE = {RS.REQUESTED: 0, RS.OPEN: 1, RS.DECLINED: 2, RS.CANCELED: 2, RS.CLOSED: 2}


def apply_platform_return(shop: Shop, order: Order, ret: model.Return, reopened: bool = False) -> Return:
    """Insert or advance the return; only a reopen takes a closed return back to open."""
    row = db.session.scalar(
        select(Return).where(Return.shop_id == shop.id, Return.external_id == ret.external_id).with_for_update()
    )
    if row is None:
        row = _ours_not_yet_recorded(shop, ret)
    now = datetime.now(UTC)
    if row is None:
        row = Return(shop_id=shop.id, order_id=order.id, external_id=ret.external_id, name=ret.name,
                     platform_status=ret.status.value, lines=[asdict(line) for line in ret.lines],
                     created_at=now, updated_at=now)
        db.session.add(row)
        db.session.flush()
        row.status = FROM_PLATFORM[ret.status]
        row.rma = row.name
        return_workflow.record_start(row)
        if row.status != "requested":
            return_workflow.move(row, row.status)
        return row
    old = RS(row.platform_status) if row.platform_status else None
    moves = old is None or STAGE[ret.status] > STAGE[old] or (reopened and old == RS.CLOSED and ret.status == RS.OPEN)
    if moves:
        row.platform_status = ret.status.value
        _follow_platform(row, ret.status)
    if ret.lines and not row.lines:
        row.lines = [asdict(line) for line in ret.lines]
    row.name = row.name or ret.name
    row.updated_at = now
    return row


def _ours_not_yet_recorded(shop: Shop, ret: model.Return) -> Return | None:
    """A return we created on the platform whose webhook came before our job recorded its id.

    The job holds the row's lock while it calls the platform, so this waits for it and then finds the id recorded,
    or (the job died after the call) records it here; either way the one return stays one.
    """
    our_id = return_workflow.id_in_platform_key(ret.key)
    if our_id is None:
        return None
    row = db.session.scalar(select(Return).where(Return.shop_id == shop.id, Return.id == our_id).with_for_update())
    if row is None or row.external_id not in (None, ret.external_id):
        return None
    row.external_id = ret.external_id
    return row


# The platform's word for a return -> Postventa's status for a return made on the platform.
FROM_PLATFORM = {RS.REQUESTED: "requested", RS.OPEN: "approved", RS.DECLINED: "rejected", RS.CANCELED: "canceled",
                 RS.CLOSED: "closed"}


def _follow_platform(row: Return, status: model.ReturnStatus) -> None:
    """A decision taken in the platform's admin is Postventa's decision too (forward only, once)."""
    if status == RS.OPEN and row.status == "requested":
        return_workflow.approve(row)
    elif status == RS.DECLINED and row.status == "requested":
        row.decision_note = row.decision_note or None
        return_workflow.move(row, "rejected")
    elif status == RS.CANCELED:
        return_workflow.move(row, "canceled")
    elif status == RS.CLOSED and row.source == "platform":
        return_workflow.move(row, "closed")
