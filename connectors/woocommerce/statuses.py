"""WooCommerce order, fulfillment and tracking statuses mapped onto our vocabulary in one place."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

from connectors.model import ShipmentStatus

# WooCommerce order `status` (REST drops the "wc-" prefix) -> (financial_status, fulfillment_status),
# in the words the Shopify normaliser stores ("paid", "pending", "refunded", "voided"; "fulfilled",
# "partial", None). A status missing here (a plugin's custom one) maps to (None, None).
ORDER_STATUSES: Final[Mapping[str, tuple[str | None, str | None]]] = MappingProxyType(
    {
        # Awaiting payment: the order exists, no money has moved.
        "pending": ("pending", None),
        # The block checkout's draft, before the shopper places the order.
        "checkout-draft": ("pending", None),
        # Awaiting a payment WooCommerce cannot see (bank transfer, cheque).
        "on-hold": ("pending", None),
        # The payment was declined; WooCommerce lets the shopper pay a failed order again
        # (it is in woocommerce_valid_order_statuses_for_payment), so it still awaits payment.
        "failed": ("pending", None),
        # Paid, and the merchant still has to ship it.
        "processing": ("paid", None),
        # Paid and shipped: WooCommerce's last step for a physical order.
        "completed": ("paid", "fulfilled"),
        # Cancelled by the merchant or by the unpaid-order timeout; any money was never captured.
        "cancelled": ("voided", None),
        # All of the money went back; whether the goods had shipped is not in the status.
        "refunded": ("refunded", None),
        # Moved to the bin; the order.deleted webhook says the same.
        "trash": (None, None),
        # Advanced Shipment Tracking registers these (wc-partial-shipped, wc-shipped, wc-delivered,
        # wc-updated-tracking); each comes after payment and after something left the warehouse.
        "partial-shipped": ("paid", "partial"),
        "shipped": ("paid", "fulfilled"),
        "delivered": ("paid", "fulfilled"),
        "updated-tracking": ("paid", "fulfilled"),
    }
)

# Order statuses after which the shopper should hear nothing more: `cancelled_at` is set for them.
# "failed" is not here: a failed order can still be paid and shipped.
CANCELLED_ORDER_STATUSES: Final = frozenset({"cancelled", "trash"})

# The `_fulfillment_status` order meta the core Fulfillments feature (WooCommerce 10.1+) keeps.
# Only what it knows better than the order status counts; "unfulfilled" stays with the status table,
# since a merchant who completes orders without fulfillments leaves it at "unfulfilled".
ORDER_FULFILLMENT_STATUSES: Final[Mapping[str, str]] = MappingProxyType(
    {
        "fulfilled": "fulfilled",
        "partially_fulfilled": "partial",
    }
)

# A carrier status written next to a tracking item -> tag. Source: TrackShip (the tracking service
# of Advanced Shipment Tracking) stores it per tracking item in the `shipment_status` order meta.
TRACKING_STATUSES: Final[Mapping[str, ShipmentStatus]] = MappingProxyType(
    {
        # The carrier has the label data, not the parcel.
        "pre_transit": ShipmentStatus.INFO_RECEIVED,
        "in_transit": ShipmentStatus.IN_TRANSIT,
        "out_for_delivery": ShipmentStatus.OUT_FOR_DELIVERY,
        "available_for_pickup": ShipmentStatus.AVAILABLE_FOR_PICKUP,
        # TrackShip labels it "Failed Attempt" / "Delivery Failure": a delivery was tried.
        "failure": ShipmentStatus.ATTEMPT_FAIL,
        # Held (customs, carrier hold) or coming back: someone has to act, as the industry's
        # "exception" tag means.
        "on_hold": ShipmentStatus.EXCEPTION,
        "exception": ShipmentStatus.EXCEPTION,
        "return_to_sender": ShipmentStatus.EXCEPTION,
        "delivered": ShipmentStatus.DELIVERED,
    }
)


def order_statuses(
    status: str | None, *, has_refunds: bool = False, fulfillment_meta: str | None = None
) -> tuple[str | None, str | None]:
    """(financial_status, fulfillment_status) for an order; an unknown status gives (None, None)."""
    financial, fulfillment = ORDER_STATUSES.get(_key(status) or "", (None, None))
    if financial == "paid" and has_refunds:
        # Shopify's word for a paid order with some money back; "refunded" means all of it.
        financial = "partially_refunded"
    from_meta = ORDER_FULFILLMENT_STATUSES.get(_key(fulfillment_meta) or "")
    return financial, from_meta or fulfillment


def is_cancelled_order(status: str | None) -> bool:
    """True when the order will not be shipped, so nothing more should be said about it."""
    return _key(status) in CANCELLED_ORDER_STATUSES


def shipment_status_for(tracking_status: str | None, *, has_tracking: bool, shipped: bool = True) -> ShipmentStatus:
    """The tag of one shipment, so unknown plugin words never break a webhook.

    A known carrier status wins. Otherwise a tracking number on something that left means the label
    exists (info_received); a draft, or a shipment without a number, claims nothing yet (pending).
    """
    known = TRACKING_STATUSES.get(_key(tracking_status) or "")
    if known is not None:
        return known
    if shipped and has_tracking:
        return ShipmentStatus.INFO_RECEIVED
    return ShipmentStatus.PENDING


def _key(value: str | None) -> str | None:
    """Statuses compare trimmed and lower-cased; WooCommerce's "wc-" prefix is dropped."""
    if value is None:
        return None
    key = value.strip().lower()
    return key[3:] if key.startswith("wc-") else key
