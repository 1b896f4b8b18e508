"""Return-label providers behind one small Protocol, chosen by name (the built-in PDF needs no keys)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from connectors.base import NotSupported
from connectors.model import Address, Money

LABEL_PROVIDERS: tuple[str, ...] = ("builtin", "easypost", "shippo")


class UnknownLabelProvider(LookupError):
    """No label provider is known under that name."""


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


def get_label_provider(name: str, **settings: str) -> LabelProvider:
    """The provider registered under `name`; settings (API keys) go to providers that need them."""
    if name == "builtin":
        from connectors.labels.builtin import BuiltinLabels

        return BuiltinLabels()  # needs no settings: nothing to log in to
    if name in ("easypost", "shippo"):
        raise NotSupported(f"label provider {name!r} is not implemented yet; use 'builtin' (printable 4x6 PDF)")
    raise UnknownLabelProvider(f"unknown label provider: {name!r} (known: {', '.join(LABEL_PROVIDERS)})")
