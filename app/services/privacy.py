"""Privacy requests and the shop lifecycle: export, redact, uninstall, erase."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, delete, func, or_, select, update

from app.extensions import db
from app.models import DataRequest, LocalMail, Message, Order, Refund, Return, Shop, WebhookEvent
from app.services import recommendations
from connectors.base import CustomerDataRequest, CustomerRedact

REDACTED_PAYLOAD = '{"redacted": true}'


def _customer_orders(shop: Shop, email: str | None, order_ids: tuple[str, ...]) -> list[Order]:
    """The orders named in the request, and any other order placed under the customer's email."""
    conditions: list[ColumnElement[bool]] = []
    if order_ids:
        conditions.append(Order.external_id.in_(order_ids))
    if email:
        conditions.append(func.lower(Order.email) == email.lower())
    if not conditions:
        return []
    return list(db.session.scalars(select(Order).where(Order.shop_id == shop.id, or_(*conditions))))


def export_customer_data(shop: Shop, request: CustomerDataRequest) -> DataRequest:
    """Everything stored about the customer, kept for the merchant to hand over."""
    orders = _customer_orders(shop, request.email, request.order_external_ids)
    export: dict[str, Any] = {
        "customer": {"id": request.customer_external_id, "email": request.email},
        "orders": [_order_export(o) for o in orders],
        "generated_at": datetime.now(UTC).isoformat(),
    }
    row = DataRequest(shop_id=shop.id, request_external_id=request.request_id, customer_email=request.email,
                      export=export)
    db.session.add(row)
    return row


def _order_export(order: Order) -> dict[str, Any]:
    messages = db.session.scalars(select(Message).where(Message.order_id == order.id).order_by(Message.id))
    return {
        "id": order.external_id,
        "number": order.number,
        "email": order.email,
        "name": order.customer_name,
        "locale": order.locale,
        "placed_at": order.placed_at.isoformat(),
        "shipping_address": order.shipping_address,
        "items": [{"title": li.title, "variant": li.variant_title, "quantity": li.quantity}
                  for li in order.line_items],
        "shipments": [{"carrier": s.carrier, "tracking_number": s.tracking_number, "status": s.status,
                       "events": [{"status": e.status, "at": e.occurred_at.isoformat(), "location": e.location}
                                  for e in s.events]}
                      for s in order.shipments],
        "refunds": [{"amount": str(r.amount), "currency": r.currency, "at": r.refunded_at.isoformat()}
                    for r in db.session.scalars(select(Refund).where(Refund.order_id == order.id))],
        "returns": [{"name": r.name, "status": r.platform_status, "lines": r.lines}
                    for r in db.session.scalars(select(Return).where(Return.order_id == order.id))],
        "emails": [{"kind": m.kind, "status": m.status, "to": m.recipient,
                    "sent_at": m.sent_at.isoformat() if m.sent_at else None} for m in messages],
    }


def redact_customer(shop: Shop, request: CustomerRedact) -> int:
    """Erase the customer's personal data; orders stay as anonymous aggregates. Returns orders touched."""
    orders = _customer_orders(shop, request.email, request.order_external_ids)
    ids = [o.id for o in orders]
    emails = {e.lower() for e in [request.email, *(o.email for o in orders)] if e}
    for order in orders:
        order.email = None
        order.customer_name = None
        order.shipping_address = None
    # A return's notes are the shopper's own words; reasons and quantities stay for the aggregates.
    for ret in db.session.scalars(select(Return).where(Return.order_id.in_(ids or [0]))):
        ret.lines = [{**line, "note": None} for line in ret.lines]
    if ids:
        db.session.execute(
            update(Message).where(Message.order_id.in_(ids), Message.status.in_(("queued", "sending")))
            .values(status="cancelled").execution_options(synchronize_session=False))
        db.session.execute(
            update(Message).where(Message.order_id.in_(ids)).values(recipient=None)
            .execution_options(synchronize_session=False))
        db.session.execute(delete(DataRequest).where(DataRequest.shop_id == shop.id,
                                                     func.lower(DataRequest.customer_email).in_(emails or {""})))
    if emails:
        db.session.execute(delete(LocalMail).where(func.lower(LocalMail.recipient).in_(emails)))
    # The raw payloads we kept carry the same data: blank every one that mentions the customer.
    needles = [*emails, *(o.external_id for o in orders), *request.order_external_ids]
    if needles:
        db.session.execute(
            update(WebhookEvent)
            .where(WebhookEvent.shop_id == shop.id,
                   or_(*(WebhookEvent.payload.contains(n, autoescape=True) for n in needles)))
            .values(payload=REDACTED_PAYLOAD)
            .execution_options(synchronize_session=False))
    return len(ids)


def uninstall(shop: Shop) -> None:
    """Stop everything for the shop and forget its credentials; its data stays until shop/redact."""
    shop.uninstalled_at = datetime.now(UTC)
    shop.access_token_enc = None
    db.session.execute(
        update(Message).where(Message.shop_id == shop.id, Message.status == "queued")
        .values(status="cancelled").execution_options(synchronize_session=False))


def erase_shop(shop_id: int) -> None:
    """Delete the shop and everything stored for it (its events and this very request included)."""
    db.session.execute(delete(Shop).where(Shop.id == shop_id))
    recommendations.forget(shop_id)
