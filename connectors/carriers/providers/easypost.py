"""EasyPost Trackers API (v2): create and poll trackers, verify and read its tracker Event webhooks."""

from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from urllib.parse import quote

import requests

from connectors.base import NormalizeError
from connectors.carriers.providers import (
    ProviderError,
    ProviderTracking,
    RetryPolicy,
    header,
    items,
    json_body,
    mapping,
    moment,
    oldest_first,
    place,
    promised,
    required_text,
    send,
    text,
    utc,
)
from connectors.carriers.providers.easypost_statuses import REASON_STATUSES, status_for
from connectors.model import TrackingEvent

BASE_URL = "https://api.easypost.com"
SIGNATURE_HEADER = "X-Hmac-Signature"
SIGNATURE_PREFIX = "hmac-sha256-hex="
# EasyPost writes a date-only estimate as midnight UTC ("2026-11-06T00:00:00Z"): read it as that date.
_MIDNIGHT_UTC = re.compile(r"^(\d{4}-\d{2}-\d{2})T00:00:00(?:\.0+)?Z$")
# status_detail values that say nothing about why; the carrier's last message explains better.
_UNINFORMATIVE = frozenset({"unknown", "status_update"})


class EasyPostProvider:
    """One EasyPost account; create is idempotent because EasyPost returns the existing tracker."""

    name = "easypost"

    def __init__(self, api_key: str, base_url: str | None = None, retry: RetryPolicy | None = None) -> None:
        self.root = f"{(base_url or BASE_URL).rstrip('/')}/v2"
        self.retry = retry or RetryPolicy()
        self.session = requests.Session()
        self.session.auth = (api_key, "")
        self.session.headers.update({"Accept": "application/json"})

    def register(self, number: str, carrier: str | None) -> ProviderTracking:
        tracker = {"tracking_code": number, **({"carrier": carrier} if carrier else {})}
        resp = self._call("POST", "/trackers", json={"tracker": tracker})
        if not resp.ok:
            raise _error(resp)
        return parse_tracker(_body(resp), "tracker")

    def fetch(self, number: str, carrier: str | None, provider_id: str | None) -> ProviderTracking:
        if provider_id:
            resp = self._call("GET", f"/trackers/{quote(provider_id, safe='')}")
            if not resp.ok:
                raise _error(resp)
            return parse_tracker(_body(resp), "tracker")
        params = {"tracking_code": number, **({"carrier": carrier} if carrier else {})}
        resp = self._call("GET", "/trackers", params=params)
        if not resp.ok:
            raise _error(resp)
        for i, found in enumerate(items(_body(resp), "trackers", "body")):
            same_carrier = not carrier or str(found.get("carrier") or "").lower() == carrier.lower()
            if found.get("tracking_code") == number and same_carrier:
                return parse_tracker(found, f"body.trackers[{i}]")
        raise ProviderError(f"easypost: no tracker for {number!r}" + (f" ({carrier})" if carrier else ""), 404)

    def verify_webhook(self, body: bytes, headers: Mapping[str, str], secret: str) -> bool:
        return verify_signature(body, header(headers, SIGNATURE_HEADER), secret)

    def parse_webhook(self, payload: Mapping[str, Any]) -> ProviderTracking:
        event = mapping(payload, "event")
        if event.get("object") != "Event":
            raise NormalizeError(f"event.object: expected 'Event', got {event.get('object')!r}")
        description = text(event, "description", "event", required=True) or ""
        if not description.startswith("tracker."):
            raise NormalizeError(f"event.description: {description!r} is not a tracker event")
        return parse_tracker(mapping(event.get("result"), "event.result"), "event.result")

    def _call(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        return send(self.session, method, self.root + path, provider=self.name, retry=self.retry, **kwargs)


def verify_signature(body: bytes, signature: str | None, secret: str) -> bool:
    """EasyPost signs the raw body: "hmac-sha256-hex=" + hex HMAC-SHA256 keyed with the NFKD-normalised secret."""
    if not signature or not secret:
        return False
    key = unicodedata.normalize("NFKD", secret).encode("utf-8")
    expected = SIGNATURE_PREFIX + hmac.new(key, body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected.encode(), signature.strip().encode())


def parse_tracker(tracker: Mapping[str, Any], path: str) -> ProviderTracking:
    """A Tracker object (API answer or Event result) in the common model's words."""
    if tracker.get("object") not in (None, "Tracker"):
        raise NormalizeError(f"{path}.object: expected 'Tracker', got {tracker.get('object')!r}")
    status = required_text(tracker, "status", path)
    detail = text(tracker, "status_detail", path)
    details = items(tracker, "tracking_details", path)
    events = oldest_first([_detail(d, f"{path}.tracking_details[{i}]") for i, d in enumerate(details)])
    return ProviderTracking(
        provider="easypost",
        provider_id=required_text(tracker, "id", path),
        tracking_number=required_text(tracker, "tracking_code", path),
        carrier=text(tracker, "carrier", path),
        status=status_for(status),
        raw_status=f"{status}/{detail}" if detail else status,
        exception_reason=_reason(detail, events) if status in REASON_STATUSES else None,
        estimated_delivery=_estimate(tracker, path),
        events=events,
        updated_at=utc(moment(tracker, "updated_at", path)),
    )


def _detail(detail: Mapping[str, Any], path: str) -> TrackingEvent:
    status = text(detail, "status", path)
    status_detail = text(detail, "status_detail", path)
    occurred = moment(detail, "datetime", path, required=True)
    assert occurred is not None
    where = None
    if detail.get("tracking_location") is not None:
        loc_path = f"{path}.tracking_location"
        loc = mapping(detail["tracking_location"], loc_path)
        where = place(text(loc, "city", loc_path), text(loc, "state", loc_path), text(loc, "zip", loc_path),
                      text(loc, "country", loc_path))
    return TrackingEvent(
        status=status_for(status),
        occurred_at=occurred,
        message=text(detail, "message", path) or text(detail, "description", path),
        location=where,
        raw_status=f"{status}/{status_detail}" if status and status_detail else status,
    )


def _reason(detail: str | None, events: tuple[TrackingEvent, ...]) -> str | None:
    """Why it needs attention, in words: status_detail ("damaged" -> "Damaged"), else the carrier's last message."""
    if detail and detail not in _UNINFORMATIVE:
        return detail.replace("_", " ").capitalize()
    return next((e.message for e in reversed(events) if e.message), None)


def _estimate(tracker: Mapping[str, Any], path: str) -> datetime | None:
    """est_delivery_date (midnight UTC means a date: end of that day), else the carrier's local date."""
    raw = text(tracker, "est_delivery_date", path)
    if raw is not None:
        midnight = _MIDNIGHT_UTC.match(raw)
        return promised(midnight.group(1) if midnight else raw, f"{path}.est_delivery_date")
    if tracker.get("carrier_detail") is None:
        return None
    carrier_path = f"{path}.carrier_detail"
    local = text(mapping(tracker["carrier_detail"], carrier_path), "est_delivery_date_local", carrier_path)
    return promised(local, f"{carrier_path}.est_delivery_date_local")


def _body(resp: requests.Response) -> Mapping[str, Any]:
    return mapping(json_body(resp, "easypost"), "body")


def _error(resp: requests.Response) -> ProviderError:
    try:
        error = resp.json().get("error") or {}
        detail = f"{error.get('code')} {error.get('message')}"
    except (ValueError, AttributeError):
        detail = resp.reason
    return ProviderError(f"easypost answered {resp.status_code}: {detail}", resp.status_code)
