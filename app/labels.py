"""Shopper-facing names of the nine statuses (English msgids; both template sets translate them)."""

from __future__ import annotations


def N_(message: str) -> str:
    """Marks a string for translation where it is used later, by the template's own gettext."""
    return message


STATUS_LABELS: dict[str, str] = {
    "pending": N_("Order confirmed"),
    "info_received": N_("Label created"),
    "in_transit": N_("In transit"),
    "out_for_delivery": N_("Out for delivery"),
    "attempt_fail": N_("Delivery attempted"),
    "available_for_pickup": N_("Ready for pickup"),
    "delivered": N_("Delivered"),
    "exception": N_("Delivery problem"),
    "expired": N_("No recent updates"),
}

# The progress bar's steps, in order.
PROGRESS_STEPS = ("pending", "in_transit", "out_for_delivery", "delivered")


def progress_index(status: str) -> int:
    """How far along the bar a status is (problems sit where transit is)."""
    order = {"pending": 0, "info_received": 0, "in_transit": 1, "exception": 1, "expired": 1,
             "out_for_delivery": 2, "attempt_fail": 2, "available_for_pickup": 2, "delivered": 3}
    return order.get(status, 0)

# Why a shipment is flagged for the merchant.
DELAY_LABELS = {
    "late": N_("Past its delivery window"),
    "stuck": N_("No carrier scan for days"),
    "exception": N_("Carrier reported a problem"),
}
