"""What the merchant sees first: is everything connected, imported and flowing."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from app.extensions import db
from app.models import Backfill, Message, Order, Return, Shipment, Shop, WebhookEvent
from app.services import engagement


def shop_status(shop: Shop) -> dict[str, Any]:
    def count(stmt: Any) -> int:
        return int(db.session.scalar(stmt) or 0)

    backfill = db.session.scalar(select(Backfill).where(Backfill.shop_id == shop.id).order_by(Backfill.id.desc()))
    return {
        "shop": shop.domain,
        "name": shop.name,
        "installed_at": shop.installed_at.isoformat() if shop.installed_at else None,
        "uninstalled_at": shop.uninstalled_at.isoformat() if shop.uninstalled_at else None,
        "backfill": None if backfill is None else {
            "status": backfill.status, "orders": backfill.orders, "total": backfill.total,
            "skipped": backfill.skipped, "error": backfill.error,
        },
        "orders": count(select(func.count()).select_from(Order).where(Order.shop_id == shop.id)),
        "returns_waiting": count(select(func.count()).select_from(Return)
                                 .where(Return.shop_id == shop.id, Return.status == "requested")),
        "returns_needing_attention": [
            {"id": r.id, "rma": r.rma or r.name, "order": r.order.number, "status": r.status,
             "problem": next(filter(None, (r.resolution_error, r.label_error, r.sync_error)), None)}
            for r in db.session.scalars(
                select(Return).where(Return.shop_id == shop.id,
                                     (Return.status == "requested") | (Return.label_state == "failed")
                                     | (Return.resolution_state == "failed") | (Return.sync_state == "failed"))
                .order_by(Return.id.desc()).limit(20))],
        "shipments_in_flight": count(
            select(func.count()).select_from(Shipment).join(Order)
            .where(Order.shop_id == shop.id, Shipment.status.not_in(("delivered", "expired")),
                   Shipment.cancelled.is_(False), Shipment.is_return.is_(False))),
        "emails_sent": count(select(func.count()).select_from(Message)
                             .where(Message.shop_id == shop.id, Message.status == "sent")),
        "delayed": {reason: n for reason, n in db.session.execute(
            select(Shipment.delay_reason, func.count()).join(Order)
            .where(Order.shop_id == shop.id, Shipment.delay_reason.is_not(None),
                   Shipment.status.not_in(("delivered", "expired")))
            .group_by(Shipment.delay_reason))},
        "delayed_shipments": [
            {"order": number, "reason": reason, "carrier": carrier, "tracking_number": tracking,
             "estimate": basis, "since": since.isoformat() if since else None}
            for number, reason, carrier, tracking, basis, since in db.session.execute(
                select(Order.number, Shipment.delay_reason, Shipment.carrier, Shipment.tracking_number,
                       Shipment.eta_basis, Shipment.delayed_at).join(Order)
                .where(Order.shop_id == shop.id, Shipment.delay_reason.is_not(None),
                       Shipment.status.not_in(("delivered", "expired")))
                .order_by(Shipment.delayed_at.desc()).limit(50))],
        "engagement": engagement.summary(shop.id),
        "webhooks_failed": count(select(func.count()).select_from(WebhookEvent)
                                 .where(WebhookEvent.shop_id == shop.id, WebhookEvent.status == "failed")),
    }
