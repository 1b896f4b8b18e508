"""Tracking providers in the app: which one is configured, polling on a slowing schedule, pushed updates."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask import current_app
from sqlalchemy import select, update

from app.extensions import db
from app.models import Order, Shipment
from app.services import estimates
from app.services.orders import upsert_shipment
from connectors import model
from connectors.carriers.providers import ProviderTracking, TrackingProvider, get_provider

FINAL = (model.ShipmentStatus.DELIVERED.value, model.ShipmentStatus.EXPIRED.value)


def configured() -> str | None:
    """The provider this server uses (the first whose API key is set), or None: platform events only."""
    name = current_app.config["TRACKING_PROVIDER"]
    return str(name) if name else None


def provider(name: str | None = None) -> TrackingProvider:
    cfg = current_app.config
    chosen = name or configured()
    if chosen is None:
        raise LookupError("no tracking provider is configured")
    return get_provider(chosen, cfg["TRACKING_PROVIDER_KEYS"][chosen], cfg.get("TRACKING_PROVIDER_BASE_URL"))


def next_poll(shipment: Shipment, now: datetime) -> datetime | None:
    """Soon while the parcel moves, rarely once it is quiet, never when it is over."""
    if shipment.status in FINAL or shipment.cancelled:
        return None
    quiet = now - (shipment.last_event_at or shipment.shipped_at or now)
    if quiet < timedelta(days=1):
        return now + timedelta(hours=2)
    if quiet < timedelta(days=3):
        return now + timedelta(hours=6)
    return now + timedelta(hours=24)


def claim_due(limit: int, now: datetime) -> list[int]:
    """Shipments whose poll is due, pushed forward by the lease so no other dispatcher takes them."""
    ids = list(db.session.scalars(
        select(Shipment.id).where(Shipment.next_poll_at <= now, Shipment.provider.is_not(None))
        .order_by(Shipment.next_poll_at).limit(limit).with_for_update(skip_locked=True)))
    if ids:
        lease = timedelta(seconds=current_app.config["CLAIM_LEASE_SECONDS"])
        db.session.execute(update(Shipment).where(Shipment.id.in_(ids)).values(next_poll_at=now + lease))
    db.session.commit()
    return ids


def poll(shipment_ids: list[int]) -> int:
    """Register (first time) or fetch each tracker and apply what it says; one failure does not stop the rest."""
    done = 0
    for shipment_id in shipment_ids:
        shipment = db.session.get(Shipment, shipment_id)
        if shipment is None or shipment.provider is None or not shipment.tracking_number:
            continue
        client = provider(shipment.provider)
        if shipment.provider_id is None:
            found = client.register(shipment.tracking_number, None)
        else:
            found = client.fetch(shipment.tracking_number, None, shipment.provider_id)
        apply(shipment, found)
        shipment.next_poll_at = next_poll(shipment, datetime.now(UTC))
        db.session.commit()
        done += 1
    return done


def apply(shipment: Shipment, found: ProviderTracking) -> None:
    """The provider's news as a shipment update: same monotonic rules, same emails, once."""
    order = db.session.get(Order, shipment.order_id)
    assert order is not None
    now = datetime.now(UTC)
    shipment.provider, shipment.provider_id = found.provider, found.provider_id
    shipment.exception_reason = found.exception_reason or shipment.exception_reason
    if found.estimated_delivery is not None:
        shipment.promised_at = found.estimated_delivery
    latest = max((e.occurred_at for e in found.events), default=None)
    news = model.Shipment(
        external_id=shipment.external_id, status=found.status, created_at=shipment.created_at,
        updated_at=max(filter(None, (found.updated_at, latest, shipment.platform_updated_at))),
        carrier=shipment.carrier, tracking_number=shipment.tracking_number, tracking_url=shipment.tracking_url,
        events=found.events, cancelled=shipment.cancelled)
    upsert_shipment(order, news)
    estimates.refresh(shipment, order.shop_id, now)


def apply_pushed(found: ProviderTracking) -> int:
    """A provider's webhook: every shipment it follows under that tracker (or number) is updated."""
    shipments = list(db.session.scalars(select(Shipment).where(
        Shipment.provider == found.provider,
        (Shipment.provider_id == found.provider_id) | (Shipment.tracking_number == found.tracking_number))))
    for shipment in shipments:
        apply(shipment, found)
        shipment.next_poll_at = next_poll(shipment, datetime.now(UTC))
    db.session.commit()
    return len(shipments)
