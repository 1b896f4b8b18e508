"""Shopify fulfillment statuses mapped onto the common ShipmentStatus tags."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

from connectors.model import ShipmentStatus

# Fulfillment `shipment_status` (a FulfillmentEventStatus, lower-cased in REST) -> tag.
SHIPMENT_STATUSES: Final[Mapping[str | None, ShipmentStatus]] = MappingProxyType(
    {
        # No carrier news yet; the tracking provider fills it in later.
        None: ShipmentStatus.PENDING,
        # A label exists, so the carrier has the shipment's data but not the parcel.
        "label_purchased": ShipmentStatus.INFO_RECEIVED,
        # Printing the label is still before the carrier holds the parcel.
        "label_printed": ShipmentStatus.INFO_RECEIVED,
        # Shopify's default "no other information" state: the carrier knows of it.
        "confirmed": ShipmentStatus.INFO_RECEIVED,
        # The carrier has the parcel, which is the start of transit.
        "carrier_picked_up": ShipmentStatus.IN_TRANSIT,
        "in_transit": ShipmentStatus.IN_TRANSIT,
        # Late but still moving; raw_status on the event keeps the word "delayed".
        "delayed": ShipmentStatus.IN_TRANSIT,
        "out_for_delivery": ShipmentStatus.OUT_FOR_DELIVERY,
        "attempted_delivery": ShipmentStatus.ATTEMPT_FAIL,
        "ready_for_pickup": ShipmentStatus.AVAILABLE_FOR_PICKUP,
        # The shopper collected it from the pickup point: the journey is over.
        "picked_up": ShipmentStatus.DELIVERED,
        "delivered": ShipmentStatus.DELIVERED,
        # The carrier reports it cannot deliver; someone has to act.
        "failure": ShipmentStatus.EXCEPTION,
    }
)

# Fulfillment `status` values meaning the shipment will not happen.
CANCELLED_FULFILLMENT_STATUSES: Final = frozenset({"cancelled", "error", "failure"})


def shipment_status_for(
    shipment_status: str | None, fulfillment_status: str | None
) -> ShipmentStatus:
    """The tag for a fulfillment, so new Shopify values never break a webhook."""
    key = shipment_status.strip().lower() if shipment_status is not None else None
    if key == "":
        key = None
    known = SHIPMENT_STATUSES.get(key)
    if known is not None:
        return known
    # An unknown carrier word on a shipped fulfillment still means it left.
    if (fulfillment_status or "").strip().lower() == "success":
        return ShipmentStatus.IN_TRANSIT
    # Unknown and not shipped yet: claim nothing.
    return ShipmentStatus.PENDING


def is_cancelled(fulfillment_status: str | None) -> bool:
    """True when the fulfillment was cancelled or failed, so no parcel is coming."""
    return (fulfillment_status or "").strip().lower() in CANCELLED_FULFILLMENT_STATUSES
