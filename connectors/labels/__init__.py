"""Return-label providers behind one small Protocol, chosen by name (the built-in PDF needs no keys)."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol, runtime_checkable
from urllib.parse import urlsplit

import requests

from connectors.model import Address, Money

LABEL_PROVIDERS: tuple[str, ...] = ("builtin", "easypost", "shippo")

# The keyword settings each provider reads, and the app config / environment key each one comes from.
_PURCHASE_SETTINGS = {
    "carrier": "LABEL_CARRIER",  # only rates of this carrier ("USPS"), else the cheapest of all
    "service": "LABEL_SERVICE",  # only this service ("GroundAdvantage", "usps_ground_advantage")
    "default_weight_grams": "LABEL_DEFAULT_WEIGHT_GRAMS",  # when the return does not say
    "qr_code": "LABEL_QR_CODE",  # "1": also ask for a printerless QR code where the carrier offers one
    "timeout": "LABEL_TIMEOUT",  # seconds per provider call
}
LABEL_SETTINGS: dict[str, dict[str, str]] = {
    "builtin": {},
    "easypost": {"api_key": "EASYPOST_API_KEY", "base_url": "EASYPOST_BASE_URL", **_PURCHASE_SETTINGS},
    "shippo": {"api_key": "SHIPPO_API_KEY", "base_url": "SHIPPO_BASE_URL", **_PURCHASE_SETTINGS},
}

MAX_LABEL_BYTES = 10 * 1024 * 1024  # a 4x6 label is tens of kilobytes; anything this big is not one
_PDF_CONTENT_TYPES = frozenset({"application/pdf", "application/x-pdf", "application/octet-stream",
                                "binary/octet-stream"})  # S3 serves some labels untyped; the %PDF header decides


class UnknownLabelProvider(LookupError):
    """No label provider is known under that name."""


class LabelError(RuntimeError):
    """The label could not be issued or fetched; the message carries the provider's own words."""

    def __init__(self, message: str, *, provider: str | None = None, status: int | None = None,
                 code: str | None = None) -> None:
        super().__init__(message)
        self.provider = provider
        self.status = status  # the provider's HTTP status, when it answered
        self.code = code  # the provider's error code, when it gave one


class LabelConfigError(LabelError):
    """A setting is missing or wrong: the operator must fix it, retrying the same call will not help."""


class LabelAuthError(LabelConfigError):
    """The provider refused the API key (401/403)."""


class LabelPending(LabelError):
    """The provider is still buying the label: ask again later and the same key finds it, not a second one."""


@dataclass(frozen=True, slots=True)
class LabelRequest:
    """Everything a provider needs to print one return label, in the common model's words."""

    idempotency_key: str  # one label per return, whatever the retries
    rma: str  # e.g. "RMA-1001-1"
    store_name: str
    return_address: Address  # where it goes (the store)
    from_address: Address  # the shopper
    order_number: str
    items: tuple[tuple[str, int], ...] = ()  # (title, quantity) to print as a packing note
    language: str = "en"  # "es" or "en": the label's few words
    weight_grams: int | None = None


@dataclass(frozen=True, slots=True)
class Label:
    """A label as issued: a PDF to print, a URL to fetch, or a code to show at a counter."""

    provider: str
    label_id: str
    tracking_number: str | None
    carrier: str | None
    pdf: bytes | None
    label_url: str | None
    qr_code_url: str | None = None  # printerless code where offered
    cost: Money | None = None


@runtime_checkable
class LabelProvider(Protocol):
    """What the app needs from a label provider, whichever one the operator configured."""

    name: str

    def create(self, request: LabelRequest) -> Label:
        """Issue the label for one return; the same idempotency key never buys a second one."""
        ...


def get_label_provider(name: str, **settings: str | None) -> LabelProvider:
    """The provider registered under `name`; a carrier provider's `settings_read` names the settings it took."""
    if name == "builtin":
        from connectors.labels.builtin import BuiltinLabels

        return BuiltinLabels()  # needs no settings: nothing to log in to
    if name == "easypost":
        from connectors.labels.easypost import EasyPostLabels

        return EasyPostLabels.from_settings(settings)
    if name == "shippo":
        from connectors.labels.shippo import ShippoLabels

        return ShippoLabels.from_settings(settings)
    raise UnknownLabelProvider(f"unknown label provider: {name!r} (known: {', '.join(LABEL_PROVIDERS)})")


def label_settings(name: str, config: Mapping[str, object]) -> dict[str, str]:
    """The settings for `name` taken from an app config by their LABEL_SETTINGS keys; unset ones are left out."""
    if name not in LABEL_SETTINGS:
        raise UnknownLabelProvider(f"unknown label provider: {name!r} (known: {', '.join(LABEL_PROVIDERS)})")
    return {setting: str(config[key]) for setting, key in LABEL_SETTINGS[name].items()
            if config.get(key) not in (None, "")}


def fetch_label_pdf(url: str, timeout: float, max_bytes: int = MAX_LABEL_BYTES) -> bytes:
    """A provider's label PDF, refusing what is not a PDF or too big to be a label."""
    parts = urlsplit(url)
    if parts.scheme != "https" and not (parts.scheme == "http" and _is_loopback(parts.hostname)):
        raise LabelError(f"refusing to fetch a label over {parts.scheme or 'no scheme'}: {url!r}")
    body = bytearray()
    try:
        with requests.get(url, timeout=timeout, stream=True) as resp:
            if resp.status_code != 200:
                raise LabelError(f"label download answered {resp.status_code}", status=resp.status_code)
            content_type = resp.headers.get("Content-Type", "").partition(";")[0].strip().lower()
            if content_type not in _PDF_CONTENT_TYPES:
                raise LabelError(f"label download is {content_type or 'untyped'}, not a PDF")
            declared = resp.headers.get("Content-Length", "")
            if declared.isdigit() and int(declared) > max_bytes:
                raise LabelError(f"label download is {declared} bytes, over the {max_bytes} byte cap")
            for chunk in resp.iter_content(chunk_size=64 * 1024):
                body += chunk
                if len(body) > max_bytes:
                    raise LabelError(f"label download is over the {max_bytes} byte cap")
    except requests.RequestException as exc:
        raise LabelError(f"label download failed: {exc}") from exc
    if not body.startswith(b"%PDF-"):
        raise LabelError("label download is not a PDF (no %PDF- header)")
    return bytes(body)


def _is_loopback(host: str | None) -> bool:
    """Plain http is only for a local fake or dev server on this machine."""
    if host == "localhost":
        return True
    try:
        return host is not None and ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
