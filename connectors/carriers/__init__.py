"""Carriers: which carrier a tracking number belongs to, and the tracking providers that follow parcels."""

from connectors.carriers.detect import (
    CarrierMatch,
    carrier,
    code_for_name,
    detect,
    normalize_number,
    resolve,
    tracking_url,
)
from connectors.carriers.formats import Carrier

__all__ = [
    "Carrier",
    "CarrierMatch",
    "carrier",
    "code_for_name",
    "detect",
    "normalize_number",
    "resolve",
    "tracking_url",
]
