"""EasyPost tracker statuses mapped onto the common ShipmentStatus tags."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

from connectors.model import ShipmentStatus

# The ten documented Tracker `status` values; `status_detail` stays in raw_status (and the reason).
STATUSES: Final[Mapping[str, ShipmentStatus]] = MappingProxyType(
    {
        # No carrier information yet (also used for carrier notes such as "arriving on time").
        "unknown": ShipmentStatus.PENDING,
        # A label exists: the carrier has the data but not the parcel.
        "pre_transit": ShipmentStatus.INFO_RECEIVED,
        "in_transit": ShipmentStatus.IN_TRANSIT,
        "out_for_delivery": ShipmentStatus.OUT_FOR_DELIVERY,
        "delivered": ShipmentStatus.DELIVERED,
        "available_for_pickup": ShipmentStatus.AVAILABLE_FOR_PICKUP,
        # Going (or gone) back to the shop: the shopper will not get it without someone acting.
        "return_to_sender": ShipmentStatus.EXCEPTION,
        # The carrier reports it cannot deliver (damaged, lost, address problem, held): someone has to act.
        "failure": ShipmentStatus.EXCEPTION,
        # The shipment was cancelled (label voided): no parcel will arrive, so the merchant must act.
        "cancelled": ShipmentStatus.EXCEPTION,
        # EasyPost could not track the code (carrier error, bad number): nothing is known about the parcel,
        # so claim nothing to the shopper; the reason is still kept for the merchant.
        "error": ShipmentStatus.PENDING,
    }
)

# Statuses whose status_detail explains something the merchant should know about.
REASON_STATUSES: Final = frozenset({"return_to_sender", "failure", "cancelled", "error"})


def status_for(status: str | None) -> ShipmentStatus:
    """The tag for an EasyPost status; an unknown (newer) value claims nothing rather than failing."""
    return STATUSES.get(status or "", ShipmentStatus.PENDING)
