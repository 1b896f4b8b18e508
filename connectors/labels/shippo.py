"""Shippo return labels over its REST API: one return Shipment, its cheapest rate bought as one Transaction per key.

A thin `requests` transport rather than the `shippo` SDK (3.9.0): the SDK cannot decode a Transaction that omits
`created_by`, which Shippo leaves out for labels bought with an API token, fails on any status or label type newer
than its enums, sends without a timeout, and brings nine packages with it.

Idempotency: the key goes in the Transaction's `metadata`. Shippo lets transactions be listed by rate, object_status
and tracking_status only, not by metadata, so a retry reads the most recent pages of transactions and matches
`metadata` itself before buying.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import requests

from connectors.labels import Label, LabelAuthError, LabelError, LabelPending, LabelRequest
from connectors.labels.purchase import (
    Offer,
    PurchaseSettings,
    carrier_address,
    cheapest,
    decimal_or_none,
    money,
    read_settings,
    reference,
    weight_grams,
)

BASE_URL = "https://api.goshippo.com"
API_VERSION = "2018-02-08"  # pinned, so a default-version change on Shippo's side cannot change these shapes
LABEL_FILE_TYPE = "PDF_4x6"
METADATA_LIMIT = 100  # Shippo's maxLength for `metadata`; a longer key is cut and hashed
LOOKUP_PAGES, PAGE_SIZE = 10, 100  # a retry looks through the last 1,000 labels bought for its key
PARCEL_CM = ("30", "20", "10")  # Shippo needs dimensions; a medium box when the return gives none
IN_PROGRESS = frozenset({"QUEUED", "WAITING"})
_UNNAMED = frozenset({"detail", "title", "messages", "non_field_errors"})  # keys that name no field


class ShippoLabels:
    """Label provider "shippo": a carrier return label bought with the operator's Shippo account."""

    name = "shippo"

    def __init__(self, settings: PurchaseSettings) -> None:
        self.settings = settings
        self.settings_read = settings.read
        self.root = (settings.base_url or BASE_URL).rstrip("/")
        self.session = requests.Session()
        self.session.headers.update({"Authorization": f"ShippoToken {settings.api_key}",
                                     "Accept": "application/json", "Shippo-API-Version": API_VERSION})

    @classmethod
    def from_settings(cls, settings: Mapping[str, str | None]) -> ShippoLabels:
        """The provider for the keyword settings given to get_label_provider."""
        return cls(read_settings(cls.name, settings))

    def create(self, request: LabelRequest) -> Label:
        """The return label for `request`; a retry with the same key finds the transaction instead of buying again."""
        key = request.idempotency_key
        metadata = key if len(key) <= METADATA_LIMIT else reference(key, METADATA_LIMIT)
        bought = self._find(metadata)
        if bought is not None:
            return self._label(bought, None)
        shipment = self._send("POST", "/shipments/", json=shipment_body(request, metadata, self.settings))
        notes = [str(m.get("text")) for m in shipment.get("messages") or [] if isinstance(m, dict)]
        offer = cheapest(offers(shipment.get("rates") or []), self.settings, self.name, notes)
        transaction = self._send("POST", "/transactions/", json={
            "rate": offer.rate_id, "label_file_type": LABEL_FILE_TYPE, "metadata": metadata, "async": False})
        return self._label(transaction, offer)

    def _find(self, metadata: str) -> dict[str, Any] | None:
        """A label already bought under this key; LabelPending while Shippo is still buying it."""
        pending = None
        for page in range(1, LOOKUP_PAGES + 1):
            listing = self._send("GET", "/transactions/", params={"results": PAGE_SIZE, "page": page})
            for transaction in listing.get("results") or []:
                if not isinstance(transaction, dict) or transaction.get("metadata") != metadata:
                    continue
                if transaction.get("status") == "SUCCESS":
                    return transaction
                if transaction.get("status") in IN_PROGRESS:
                    pending = transaction
            if not listing.get("next"):
                break
        if pending is not None:
            raise LabelPending(f"shippo: label {pending.get('object_id')} is still {pending.get('status')}",
                               provider=self.name)
        return None

    def _label(self, transaction: dict[str, Any], offer: Offer | None) -> Label:
        """A transaction as a Label, or the reason Shippo gave for not issuing it."""
        status = transaction.get("status")
        if status in IN_PROGRESS:
            raise LabelPending(f"shippo: label {transaction.get('object_id')} is still {status}", provider=self.name)
        if status != "SUCCESS" or not transaction.get("label_url"):
            said = "; ".join(_message(m) for m in transaction.get("messages") or []) or f"status {status}"
            raise LabelError(f"shippo: the label was not issued: {said}", provider=self.name)
        rate = self._rate(transaction, offer)
        return Label(provider=self.name, label_id=str(transaction["object_id"]),
                     tracking_number=transaction.get("tracking_number") or None,
                     carrier=rate.get("provider") or (offer.carrier if offer else None), pdf=None,
                     label_url=str(transaction["label_url"]), qr_code_url=transaction.get("qr_code_url") or None,
                     cost=money(rate.get("amount"), rate.get("currency")))

    def _rate(self, transaction: dict[str, Any], offer: Offer | None) -> dict[str, Any]:
        """The bought rate: the offer just chosen, as listed in the transaction, or fetched by its id."""
        if offer is not None:
            return {"provider": offer.carrier, "amount": str(offer.amount), "currency": offer.currency}
        rate = transaction.get("rate")
        if isinstance(rate, dict):
            return rate
        return self._send("GET", f"/rates/{rate}") if isinstance(rate, str) and rate else {}

    def _send(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        """One call to Shippo; its answer as a dict, its refusals as LabelError (LabelAuthError for the key)."""
        try:
            resp = self.session.request(method, self.root + path, timeout=self.settings.timeout, **kwargs)
        except requests.RequestException as exc:
            raise LabelError(f"shippo: {method} {path} failed: {exc}", provider=self.name) from exc
        try:
            body = resp.json()
        except ValueError:
            body = None
        if not resp.ok:
            detail = _detail(body) if body is not None else resp.text[:300].strip()
            kind = LabelAuthError if resp.status_code in (401, 403) else LabelError
            raise kind(f"shippo answered {resp.status_code}: {detail or resp.reason}", provider=self.name,
                       status=resp.status_code)
        if not isinstance(body, dict):
            raise LabelError(f"shippo: {method} {path} answered {resp.status_code} without a JSON object",
                             provider=self.name, status=resp.status_code)
        return body


def shipment_body(request: LabelRequest, metadata: str, settings: PurchaseSettings) -> dict[str, Any]:
    """The Shipment to create; Shippo swaps a return's addresses, so they go in as the outbound parcel had them."""
    length, width, height = PARCEL_CM
    extra: dict[str, Any] = {"is_return": True, "reference_1": request.rma}
    if settings.qr_code:
        extra["qr_code_requested"] = True
    return {
        "address_from": carrier_address(request.return_address, request.store_name),  # the store, which sent the order
        "address_to": carrier_address(request.from_address),  # the shopper, who received it
        "parcels": [{"length": length, "width": width, "height": height, "distance_unit": "cm",
                     "weight": str(weight_grams(request.weight_grams, settings)), "mass_unit": "g"}],
        "extra": extra,
        "metadata": metadata,
        "async": False,
    }


def offers(rates: list[Any]) -> list[Offer]:
    """Shippo's rates as offers; a rate without a readable price cannot be compared, so it is left out."""
    found = []
    for rate in rates:
        amount = decimal_or_none(rate.get("amount")) if isinstance(rate, dict) else None
        if amount is None or not rate.get("object_id"):
            continue
        level = rate.get("servicelevel") if isinstance(rate.get("servicelevel"), dict) else {}
        days = rate.get("estimated_days")
        found.append(Offer(rate_id=str(rate["object_id"]), carrier=str(rate.get("provider") or ""),
                           service=str(level.get("token") or level.get("name") or ""), amount=amount,
                           currency=str(rate.get("currency") or "").upper(),
                           days=days if isinstance(days, int) else None))
    return found


def _message(message: object) -> str:
    """One of Shippo's messages ({source, code, text}) as a line."""
    if not isinstance(message, dict):
        return str(message)
    return " ".join(str(p) for p in (f"{message['source']}:" if message.get("source") else None,
                                     message.get("text") or message.get("code")) if p)


def _detail(body: object, field: str = "") -> str:
    """Shippo's error body ({"detail": ...}, field errors, messages; nested) flattened into one readable line."""
    if isinstance(body, dict) and "text" in body:
        return _message(body)
    if isinstance(body, dict):
        return "; ".join(_detail(v, field if k in _UNNAMED else f"{field}.{k}".strip(".")) for k, v in body.items())
    if isinstance(body, list):
        return "; ".join(_detail(item, field) for item in body)
    return f"{field}: {body}" if field else str(body)
