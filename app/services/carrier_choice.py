"""Which carrier a shipment is with: the merchant's override, the platform's word, else detection by number."""

from __future__ import annotations

from app.models import Shipment, Shop
from connectors.carriers import carrier, resolve, tracking_url


def priority(shop: Shop) -> list[str]:
    """The merchant's carriers, most used first: they win when a number fits several carriers."""
    value = (shop.settings or {}).get("carrier_priority") or []
    return [str(code) for code in value if isinstance(code, str)]


def apply(shipment: Shipment, shop: Shop) -> None:
    """Fill in carrier code, service and the tracking link; what the platform or merchant said stays."""
    if not shipment.tracking_number:
        return
    chosen = carrier(shipment.carrier_code or "") if shipment.carrier_overridden else None
    match = resolve(shipment.tracking_number, chosen.name if chosen else shipment.carrier, priority(shop))
    if match is None:
        return
    shipment.carrier_code, shipment.service = match.code, match.service or shipment.service
    shipment.carrier = shipment.carrier or match.name
    if not shipment.tracking_url or chosen is not None:
        shipment.tracking_url = match.tracking_url


def override(shipment: Shipment, code: str) -> None:
    """The merchant knows better: this shipment is with `code` (ValueError for a carrier we do not know)."""
    entry = carrier(code)
    if entry is None:
        raise ValueError(f"unknown carrier code: {code!r}")
    shipment.carrier_code, shipment.carrier, shipment.carrier_overridden = entry.code, entry.name, True
    if shipment.tracking_number:
        shipment.tracking_url = tracking_url(entry.code, shipment.tracking_number)
