"""EasyPost return labels through its official SDK: one return Shipment per key, its cheapest rate bought once.

Idempotency: the key is the Shipment's `reference`, which EasyPost documents as usable in place of the id, so a
retry first asks GET /shipments/<reference> and buys only when that finds nothing unbought. Listing shipments
cannot be filtered by reference (only dates, purchased, include_children) and EasyPost documents no
Idempotency-Key header, so the lookup by reference is the one documented way.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Mapping
from typing import Any

import easypost
from easypost.errors import ApiError, EasyPostError, NotFoundError

from connectors.labels import Label, LabelAuthError, LabelError, LabelRequest
from connectors.labels.purchase import (
    Offer,
    PurchaseSettings,
    carrier_address,
    cheapest,
    decimal_or_none,
    money,
    ounces,
    read_settings,
    reference,
    weight_grams,
)

BASE_URL = "https://api.easypost.com"
QR_FORM = "label_qr_code"  # USPS Label Broker: a code the shopper shows at the post office instead of printing
REFERENCE_LIMIT = 64

log = logging.getLogger(__name__)


class EasyPostLabels:
    """Label provider "easypost": a carrier return label bought with the operator's EasyPost account."""

    name = "easypost"

    def __init__(self, settings: PurchaseSettings) -> None:
        self.settings = settings
        self.settings_read = settings.read
        api_base = f"{(settings.base_url or BASE_URL).rstrip('/')}/v2"
        self.client = easypost.EasyPostClient(settings.api_key, api_base=api_base, timeout=math.ceil(settings.timeout))

    @classmethod
    def from_settings(cls, settings: Mapping[str, str | None]) -> EasyPostLabels:
        """The provider for the keyword settings given to get_label_provider."""
        return cls(read_settings(cls.name, settings))

    def create(self, request: LabelRequest) -> Label:
        """The return label for `request`; a retry with the same key finds the shipment instead of buying again."""
        ref = reference(request.idempotency_key, REFERENCE_LIMIT)
        shipment = self._find(ref)
        if shipment is None:
            shipment = self._call(lambda: self.client.shipment.create(**shipment_params(request, ref, self.settings)))
            shipment = self._buy(shipment, shipment.get("rates") or [])
        elif not shipment.get("postage_label"):
            # Created by an attempt that died before buying; its rates may be stale, so ask for fresh ones.
            shipment_id = shipment["id"]
            fresh = self._call(lambda: self.client.shipment.regenerate_rates(shipment_id))
            shipment = self._buy(shipment, fresh.get("rates") or [])
        return label_from(shipment, form_url(shipment, QR_FORM) or self._qr_code(shipment))

    def _buy(self, shipment: dict[str, Any], rates: list[Any]) -> dict[str, Any]:
        """Buy the configured (else cheapest) rate; rating errors the carriers gave are part of the message."""
        notes = [str(m.get("message")) for m in shipment.get("messages") or [] if isinstance(m, dict)]
        offer = cheapest(offers(rates), self.settings, self.name, notes)
        shipment_id = shipment["id"]
        return self._call(lambda: self.client.shipment.buy(shipment_id, rate={"id": offer.rate_id}))

    def _find(self, ref: str) -> dict[str, Any] | None:
        """The shipment an earlier attempt created under this reference, if any."""
        try:
            found = self._call(lambda: self.client.shipment.retrieve(ref))
        except LabelError as exc:
            if exc.status == 404:
                return None
            raise
        return found if found.get("reference") == ref else None

    def _qr_code(self, shipment: dict[str, Any]) -> str | None:
        """A USPS Label Broker QR code when the operator asked for one; the label stands without it."""
        carrier = str((shipment.get("selected_rate") or {}).get("carrier") or "")
        if not self.settings.qr_code or not carrier.upper().startswith("USPS"):
            return None
        shipment_id = shipment["id"]
        try:
            with_form = self._call(lambda: self.client.shipment.generate_form(shipment_id, QR_FORM))
        except LabelAuthError:
            raise
        except LabelError as exc:
            log.warning("easypost: no QR code for %s, the printable label still stands: %s", shipment_id, exc)
            return None
        return form_url(with_form, QR_FORM)

    def _call(self, call: Callable[[], Any]) -> dict[str, Any]:
        """One SDK call, its answer as plain data and its errors as LabelError."""
        try:
            answer = call()
        except EasyPostError as exc:
            raise label_error(exc) from exc
        return answer.to_dict() if hasattr(answer, "to_dict") else dict(answer)


def shipment_params(request: LabelRequest, ref: str, settings: PurchaseSettings) -> dict[str, Any]:
    """The Shipment to create; EasyPost swaps a return's addresses, so they go in as the outbound parcel had them."""
    return {
        "reference": ref,
        "is_return": True,
        "to_address": carrier_address(request.from_address),  # the shopper, who received the order
        "from_address": carrier_address(request.return_address, request.store_name),  # the store, where it goes back
        "parcel": {"weight": float(ounces(weight_grams(request.weight_grams, settings)))},
        "options": {"label_format": "PDF", "label_size": "4x6", "print_custom_1": request.rma},
    }


def offers(rates: list[Any]) -> list[Offer]:
    """EasyPost's rates as offers; a rate without a readable price cannot be compared, so it is left out."""
    found = []
    for rate in rates:
        amount = decimal_or_none(rate.get("rate")) if isinstance(rate, dict) else None
        if amount is None or not rate.get("id"):
            continue
        days = rate.get("delivery_days")
        found.append(Offer(rate_id=str(rate["id"]), carrier=str(rate.get("carrier") or ""),
                           service=str(rate.get("service") or ""), amount=amount,
                           currency=str(rate.get("currency") or "").upper(),
                           days=days if isinstance(days, int) else None))
    return found


def form_url(shipment: dict[str, Any], form_type: str) -> str | None:
    """The URL of the shipment's form of that type, if it has one."""
    for form in shipment.get("forms") or []:
        if isinstance(form, dict) and form.get("form_type") == form_type and form.get("form_url"):
            return str(form["form_url"])
    return None


def label_from(shipment: dict[str, Any], qr_code_url: str | None) -> Label:
    """The bought shipment as a Label: the PDF's URL (fetched by the app), tracking code, carrier and price."""
    postage = shipment.get("postage_label") or {}
    url = postage.get("label_pdf_url") or postage.get("label_url")
    if not url:
        raise LabelError(f"easypost: shipment {shipment.get('id')} was bought but has no label URL",
                         provider="easypost")
    rate = shipment.get("selected_rate") or {}
    return Label(provider="easypost", label_id=str(shipment["id"]), tracking_number=shipment.get("tracking_code"),
                 carrier=rate.get("carrier"), pdf=None, label_url=str(url), qr_code_url=qr_code_url,
                 cost=money(rate.get("rate"), rate.get("currency")))


def label_error(exc: EasyPostError) -> LabelError:
    """An SDK error as LabelError with EasyPost's own message; a refused key as LabelAuthError."""
    if not isinstance(exc, ApiError):
        return LabelError(f"easypost: {exc.message}", provider="easypost")
    details = [f"{e.get('field')}: {e.get('message')}" if isinstance(e, dict) else str(e) for e in exc.errors or []]
    message = f"easypost: {exc.message or 'error'}" + (f" ({'; '.join(details)})" if details else "")
    status = 404 if isinstance(exc, NotFoundError) else exc.http_status
    kind = LabelAuthError if status in (401, 403) else LabelError
    return kind(message, provider="easypost", status=status, code=exc.code)
