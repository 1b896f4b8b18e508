"""The queue's work for a return: write it to the platform, issue its label, send the money; each exactly once."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from flask import current_app
from sqlalchemy import or_, select, update

from app.extensions import db
from app.i18n import pick_language
from app.models import Order, Return, Shipment, Shop
from app.services import return_workflow, tracking
from app.services.carrier_choice import apply as choose_carrier
from app.services.platform_access import NotConnected, access_for
from connectors.base import (
    Connector,
    ExchangeRequest,
    NotSupported,
    PlatformError,
    ProcessReturnRequest,
    RefundRequest,
    ReturnRequest,
    ReturnShipping,
    ShopAccess,
    StoreCreditRequest,
)
from connectors.labels import (
    LabelConfigError,
    LabelProvider,
    LabelRequest,
    UnknownLabelProvider,
    fetch_label_pdf,
    get_label_provider,
)
from connectors.model import Address, Money, ReturnLine, ShipmentStatus

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
RETRY_BASE, RETRY_CAP = timedelta(seconds=30), timedelta(hours=6)
PENDING = (Return.label_state == "pending") | (Return.sync_state == "pending") | (Return.resolution_state == "pending")


class LabelSetupError(ValueError):
    """The store has not given what a label needs (its return address): a setting to fix, not a call to retry."""


def claim_due(limit: int, now: datetime) -> list[int]:
    """Returns with work waiting, handed out under a lease so that one dispatcher takes each."""
    lease = timedelta(seconds=current_app.config["CLAIM_LEASE_SECONDS"])
    ids = list(db.session.scalars(
        select(Return.id).where(PENDING)
        .where(or_(Return.task_enqueued_at.is_(None), Return.task_enqueued_at < now - lease))
        .order_by(Return.id).limit(limit).with_for_update(skip_locked=True)))
    if ids:
        db.session.execute(update(Return).where(Return.id.in_(ids)).values(task_enqueued_at=now))
    db.session.commit()
    return ids


def run(return_id: int) -> dict[str, str]:
    """Everything pending for one return, in order; a failure is recorded, counted and retried by the dispatcher."""
    ret = db.session.get(Return, return_id)
    if ret is None:
        return {}
    done: dict[str, str] = {}
    for name, step in (("sync", _sync), ("label", _label), ("resolution", _resolve)):
        state_field = f"{name}_state"
        if getattr(ret, state_field) != "pending":
            continue
        locked = _lock(return_id)
        if locked is None or getattr(locked, state_field) != "pending":
            db.session.rollback()
            continue
        try:
            step(locked)
        except (PlatformError, LookupError, OSError, RuntimeError, ValueError) as exc:  # kept for the merchant
            db.session.rollback()
            _failed(return_id, name, exc)
            done[name] = "failed"
            continue
        db.session.commit()
        done[name] = getattr(locked, state_field)
        ret = locked
    again = None
    if "failed" in done.values():  # still pending: come back after a pause that grows with each try
        tries = max(ret.label_attempts, ret.resolution_attempts, 1)
        lease = timedelta(seconds=current_app.config["CLAIM_LEASE_SECONDS"])
        again = datetime.now(UTC) - lease + min(RETRY_BASE * 2 ** (tries - 1), RETRY_CAP)
    db.session.execute(update(Return).where(Return.id == return_id).values(task_enqueued_at=again))
    db.session.commit()
    return done


def _lock(return_id: int) -> Return | None:
    """The row, locked for the call: a second worker on the same return waits, then finds the work done."""
    db.session.expire_all()
    return db.session.scalar(select(Return).where(Return.id == return_id).with_for_update())


def _failed(return_id: int, name: str, exc: Exception) -> None:
    """Keep the platform's (or provider's) words for the merchant; stop after a few tries, or at once if it is ours."""
    ret = db.session.get(Return, return_id)
    assert ret is not None
    message = f"{type(exc).__name__}: {exc}"[:2000]
    if name == "resolution":
        ret.resolution_attempts += 1
        ret.resolution_error = message
        if ret.resolution_attempts >= MAX_ATTEMPTS or isinstance(exc, (NotConnected, AlreadyCompensated)):
            ret.resolution_state = "failed"
    elif name == "label":
        ret.label_attempts += 1
        ret.label_error = message
        if ret.label_attempts >= MAX_ATTEMPTS or isinstance(exc, (LabelSetupError, LabelConfigError,
                                                                  UnknownLabelProvider)):
            ret.label_state = "failed"
            return_workflow.schedule_email(ret, "return_approved")  # approved all the same; the label follows
    else:
        ret.sync_error = message
        ret.sync_state = "failed"  # the platform's copy is a convenience: never blocks the shopper's return
    log.warning("return %s: %s failed: %s", return_id, name, message)
    db.session.commit()


def _sync(ret: Return) -> None:
    """Our return written to the platform (Shopify returns API); a platform without returns just skips it."""
    shop = db.session.get(Shop, ret.shop_id)
    assert shop is not None
    try:
        connector, access = access_for(shop)
    except NotConnected:
        ret.sync_state, ret.sync_error = "skipped", "the store is not connected"
        return
    try:
        if ret.status == "rejected":
            if ret.external_id:
                connector.decline_return(access, ret.external_id, ret.decision_note or "")
        elif ret.external_id is None:
            lines = tuple(ReturnLine(str(line["line_item_id"]), int(line["quantity"]), ret.reason, ret.comment)
                          for line in ret.lines)
            result = connector.create_return(access, ReturnRequest(ret.order.external_id, lines,
                                                                   return_workflow.platform_key(ret.id)))
            ret.external_id, ret.name = result.external_id, ret.name or result.name
            ret.platform_status = result.status.value
    except NotSupported as exc:
        ret.sync_state, ret.sync_error = "skipped", str(exc)[:2000]
        return
    ret.sync_state, ret.sync_error = "done", None


def _label(ret: Return) -> None:
    """Issue the label once (the provider keys on the return), store it, and follow the parcel back."""
    shop = db.session.get(Shop, ret.shop_id)
    order = db.session.get(Order, ret.order_id)
    assert shop is not None and order is not None
    address = ((shop.settings or {}).get("returns") or {}).get("return_address")
    if not address:
        raise LabelSetupError("set the store's return address (returns settings) so labels can be printed")
    provider = label_provider()
    names = {str(li.external_id): li.title for li in order.line_items}
    label = provider.create(LabelRequest(
        idempotency_key=return_workflow.platform_key(ret.id), rma=ret.rma or f"RMA-{ret.id}",
        store_name=str((shop.settings or {}).get("store_name") or shop.name),
        return_address=Address(**address), from_address=Address(**(order.shipping_address or {})),
        order_number=order.number,
        items=tuple((names.get(str(line["line_item_id"]), "?"), int(line["quantity"])) for line in ret.lines),
        language=pick_language(ret.language or order.locale)))
    pdf = label.pdf
    if pdf is None and label.label_url:  # providers' label links are signed and expire: keep the PDF itself
        pdf = fetch_label_pdf(label.label_url, timeout=30)
    ret.label_provider, ret.label_id = label.provider, label.label_id
    ret.label_pdf, ret.label_url, ret.label_qr_url = pdf, label.label_url, label.qr_code_url
    ret.label_state, ret.label_error = "done", None
    if label.tracking_number:
        _follow_parcel(ret, order, label.tracking_number, label.carrier)
    return_workflow.move(ret, "label_issued")
    if ret.external_id and label.tracking_number:
        _attach_to_platform(ret, shop, label.tracking_number)


def _follow_parcel(ret: Return, order: Order, number: str, carrier: str | None) -> None:
    """The parcel coming back is a shipment like any other: tracked, but never emailed about."""
    now = datetime.now(UTC)
    shipment = Shipment(order_id=order.id, external_id=f"return-{ret.id}", carrier=carrier, tracking_number=number,
                        status=ShipmentStatus.INFO_RECEIVED.value, status_at=now, items=list(ret.lines),
                        platform_updated_at=now, is_return=True, created_at=now, shipped_at=now)
    db.session.add(shipment)
    db.session.flush()
    choose_carrier(shipment, order.shop)
    name = tracking.configured()
    if name:
        shipment.provider, shipment.next_poll_at = name, now
    ret.shipment_id = shipment.id


def _attach_to_platform(ret: Return, shop: Shop, number: str) -> None:
    """Best effort: the platform's return shows the parcel too; our return does not depend on it."""
    try:
        connector, access = access_for(shop)
        assert ret.external_id is not None
        connector.add_return_shipping(access, ret.external_id, ReturnShipping(tracking_number=number,
                                                                              label_url=ret.label_url))
    except (NotSupported, NotConnected, PlatformError) as exc:
        ret.sync_error = f"label not attached on the platform: {exc}"[:2000]


def label_provider() -> LabelProvider:
    cfg = current_app.config
    name = cfg.get("LABEL_PROVIDER") or "builtin"
    if name == "builtin":
        return get_label_provider("builtin")
    return get_label_provider(name, api_key=cfg["LABEL_PROVIDER_KEYS"].get(name, ""),
                              base_url=cfg.get("LABEL_PROVIDER_BASE_URL") or "")


def _resolve(ret: Return) -> None:
    """Refund, store credit or the exchange order, exactly once per return (the key is the return's)."""
    shop = db.session.get(Shop, ret.shop_id)
    order = db.session.get(Order, ret.order_id)
    assert shop is not None and order is not None
    connector, access = access_for(shop)
    key = f"{return_workflow.platform_key(ret.id)}-{ret.outcome}"
    lines = tuple((str(line["line_item_id"]), int(line["quantity"])) for line in ret.lines)
    amount = ret.value_amount if ret.value_amount is not None else Decimal(0)
    note = f"Postventa return {ret.rma}"
    if ret.external_id and _processed_on_platform(ret, ret.external_id, connector, access, key, note):
        pass  # Shopify processed its return and, for a refund, refunded in the same call
    elif ret.outcome == "store_credit":
        credit = connector.issue_store_credit(access, StoreCreditRequest(
            order.external_id, Money(amount, ret.currency or order.currency), key, order.email, note))
        ret.resolution_ref, ret.resolution_code, ret.resolution_amount = credit.external_id, credit.code, amount
    elif ret.outcome == "exchange":
        variants = tuple((str(x["variant_id"]), int(x["quantity"])) for x in (ret.exchange_lines or []))
        address = Address(**order.shipping_address) if order.shipping_address else None
        made = connector.create_exchange_order(access, ExchangeRequest(
            order.external_id, variants, key, order.email, address, note))
        ret.resolution_ref, ret.resolution_code = made.external_id, made.name
    else:
        refund = connector.create_refund(access, RefundRequest(order.external_id, lines, key, note))
        ret.resolution_ref, ret.resolution_amount = refund.external_id, refund.amount.amount
    ret.resolution_state, ret.resolution_error = "done", None
    return_workflow.move(ret, "closed")


class AlreadyCompensated(ValueError):
    """The platform already refunded this return (its own admin): no credit or exchange on top; the merchant decides."""


def _processed_on_platform(ret: Return, external_id: str, connector: Connector, access: ShopAccess, key: str,
                           note: str) -> bool:
    """Close the platform's copy of the return (returnProcess); True when that also settled a refund outcome."""
    try:
        done = connector.process_return(access, ProcessReturnRequest(external_id, key, ret.outcome == "refund", note))
    except NotSupported:
        return False
    if ret.outcome == "refund":
        if done.refund is not None:
            ret.resolution_ref, ret.resolution_amount = done.refund.external_id, done.refund.amount.amount
        else:
            ret.resolution_amount = Decimal(0)  # the platform found nothing to give back
        return True
    if done.refund is not None:
        raise AlreadyCompensated(f"the store already refunded this return on the platform ({done.refund.external_id}"
                                 f", {done.refund.amount.amount} {done.refund.amount.currency}); no {ret.outcome} "
                                 "was issued on top")
    return False
