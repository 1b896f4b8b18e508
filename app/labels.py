"""Shopper-facing names of the nine statuses (English msgids; both template sets translate them)."""

from __future__ import annotations

STATUS_LABELS: dict[str, str] = {
    "pending": "Order confirmed",
    "info_received": "Label created",
    "in_transit": "In transit",
    "out_for_delivery": "Out for delivery",
    "attempt_fail": "Delivery attempted",
    "available_for_pickup": "Ready for pickup",
    "delivered": "Delivered",
    "exception": "Delivery problem",
    "expired": "No recent updates",
}

# The progress bar's steps, in order.
PROGRESS_STEPS = ("pending", "in_transit", "out_for_delivery", "delivered")


def progress_index(status: str) -> int:
    """How far along the bar a status is (problems sit where transit is)."""
    order = {"pending": 0, "info_received": 0, "in_transit": 1, "exception": 1, "expired": 1,
             "out_for_delivery": 2, "attempt_fail": 2, "available_for_pickup": 2, "delivered": 3}
    return order.get(status, 0)
