"""AfterShip delivery statuses (tags) mapped onto the common ShipmentStatus tags."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

from connectors.model import ShipmentStatus

# The nine documented `tag` values (Delivery Statuses, Tracking API 2026-07). The common model's nine tags
# were modelled on these, so every line is one to one; the `subtag` stays in raw_status for detail.
TAGS: Final[Mapping[str, ShipmentStatus]] = MappingProxyType(
    {
        # Added to AfterShip, no carrier news yet.
        "Pending": ShipmentStatus.PENDING,
        # The carrier has the shipper's data (label) but not the parcel.
        "InfoReceived": ShipmentStatus.INFO_RECEIVED,
        "InTransit": ShipmentStatus.IN_TRANSIT,
        "OutForDelivery": ShipmentStatus.OUT_FOR_DELIVERY,
        # Delivery tried and failed; the carrier usually tries again.
        "AttemptFail": ShipmentStatus.ATTEMPT_FAIL,
        "Delivered": ShipmentStatus.DELIVERED,
        "AvailableForPickup": ShipmentStatus.AVAILABLE_FOR_PICKUP,
        # Customs hold, undeliverable, returned to sender, lost, damaged: someone has to act.
        "Exception": ShipmentStatus.EXCEPTION,
        # No tracking information for 30 days since added; AfterShip stopped following it.
        "Expired": ShipmentStatus.EXPIRED,
    }
)

# Tags whose subtag_message explains something the merchant should know about.
REASON_TAGS: Final = frozenset({"Exception", "AttemptFail"})


def status_for(tag: str | None) -> ShipmentStatus:
    """The tag for an AfterShip status; an unknown (newer) tag claims nothing rather than failing."""
    return TAGS.get(tag or "", ShipmentStatus.PENDING)
