"""Delivery estimates learned from the store's own deliveries, falling back to the carrier, then to a default."""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import select

from app.extensions import db
from app.models import Order, Shipment

SAMPLE_MIN = 8  # fewer deliveries than this say too little about a route
SAMPLE_MAX = 500  # the latest deliveries are the ones that describe today's carrier
HISTORY_DAYS = 180
LOW, HIGH = 0.1, 0.9  # the window holds 8 of 10 past deliveries


@dataclass(frozen=True)
class Estimate:
    start: datetime
    end: datetime
    source: str  # history | carrier | default
    basis: str  # in words, for the merchant


def destination(address: dict[str, Any] | None) -> str | None:
    """Country and region ("ES-M"), the level at which transit times differ."""
    if not address or not address.get("country_code"):
        return None
    country = str(address["country_code"]).upper()[:2]
    region = str(address.get("region") or "").upper()[:10]
    return f"{country}-{region}" if region else country


def _transit_days(shop_id: int, since: datetime, **where: str | None) -> list[float]:
    query = (select(Shipment.shipped_at, Shipment.delivered_at).join(Order)
             .where(Order.shop_id == shop_id, Shipment.is_return.is_(False),
                    Shipment.delivered_at.is_not(None), Shipment.shipped_at.is_not(None),
                    Shipment.delivered_at >= since))
    for column, value in where.items():
        if column == "country":
            query = query.where(Shipment.destination.like(f"{value}%"))
        else:
            query = query.where(getattr(Shipment, column) == value)
    rows = db.session.execute(query.order_by(Shipment.delivered_at.desc()).limit(SAMPLE_MAX)).all()
    return [(delivered - shipped).total_seconds() / 86400 for shipped, delivered in rows if delivered >= shipped]


def _levels(s: Shipment) -> list[tuple[str, dict[str, str | None]]]:
    """From the most specific group of past deliveries to the broadest."""
    carrier: dict[str, str | None] = (
        {"carrier_code": s.carrier_code} if s.carrier_code else {"carrier": s.carrier} if s.carrier else {})
    name = s.carrier or s.carrier_code or "any carrier"
    country = (s.destination or "").split("-")[0] or None
    levels: list[tuple[str, dict[str, str | None]]] = []
    if carrier and s.service and s.destination:
        levels.append((f"{name} {s.service} to {s.destination}",
                       {**carrier, "service": s.service, "destination": s.destination}))
    if carrier and s.destination:
        levels.append((f"{name} to {s.destination}", {**carrier, "destination": s.destination}))
    if carrier and country:
        levels.append((f"{name} to {country}", {**carrier, "country": country}))
    if carrier:
        levels.append((f"{name}, any destination", carrier))
    return levels


def estimate(s: Shipment, shop_id: int, now: datetime) -> Estimate | None:
    """The window shown to the shopper; None once there is nothing left to estimate."""
    if s.delivered_at is not None or s.cancelled:
        return None
    shipped = s.shipped_at or s.created_at
    since = now - timedelta(days=HISTORY_DAYS)
    for label, where in _levels(s):
        days = _transit_days(shop_id, since, **where)
        if len(days) >= SAMPLE_MIN:
            cuts = statistics.quantiles(days, n=10, method="inclusive")
            low, high = math.floor(cuts[0]), max(math.ceil(cuts[-1]), math.floor(cuts[0]) + 1)
            return Estimate(shipped + timedelta(days=low), shipped + timedelta(days=high), "history",
                            f"{len(days)} deliveries of {label} in the last {HISTORY_DAYS} days: 8 in 10 took "
                            f"{low} to {high} days")
    if s.promised_at is not None:
        return Estimate(s.promised_at - timedelta(days=1), s.promised_at, "carrier", "the carrier's own estimate")
    low, high = current_app.config["DEFAULT_TRANSIT_DAYS"]
    return Estimate(shipped + timedelta(days=low), shipped + timedelta(days=high), "default",
                    f"not enough deliveries to learn from yet: the store's default of {low} to {high} days")


def refresh(s: Shipment, shop_id: int, now: datetime) -> None:
    """Store the estimate on the shipment, so the page and the emails say the same thing."""
    found = estimate(s, shop_id, now)
    s.eta_start, s.eta_end = (found.start, found.end) if found else (None, None)
    s.eta_source, s.eta_basis = (found.source, found.basis) if found else (None, None)
