"""AfterShip Tracking API (version 2026-07): create and poll trackings, verify and read its webhooks."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from urllib.parse import quote

import requests

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
from connectors.carriers.providers.aftership_statuses import REASON_TAGS, status_for
from connectors.model import TrackingEvent

API_VERSION = "2026-07"
BASE_URL = "https://api.aftership.com"
SIGNATURE_HEADER = "aftership-hmac-sha256"
TRACKING_ALREADY_EXISTS = 4003  # meta.code, sent with HTTP 400

# Where a delivery estimate may sit, most trusted first, with (single date, upper end of a range).
# The carrier's own promise comes first; then AfterShip's consolidated latest estimate; then its AI guess.
ESTIMATES: tuple[tuple[str, str, str], ...] = (
    ("courier_estimated_delivery_date", "estimated_delivery_date", "estimated_delivery_date_max"),
    ("latest_estimated_delivery", "datetime", "datetime_max"),
    ("aftership_estimated_delivery_date", "estimated_delivery_date", "estimated_delivery_date_max"),
)


class AfterShipProvider:
    """One AfterShip account; create is idempotent because "already exists" falls back to a lookup."""

    name = "aftership"

    def __init__(self, api_key: str, base_url: str | None = None, retry: RetryPolicy | None = None) -> None:
        self.root = f"{(base_url or BASE_URL).rstrip('/')}/tracking/{API_VERSION}"
        self.retry = retry or RetryPolicy()
        self.session = requests.Session()
        self.session.headers.update({"as-api-key": api_key, "Accept": "application/json"})

    def register(self, number: str, carrier: str | None) -> ProviderTracking:
        body = {"tracking_number": number, **({"slug": carrier} if carrier else {})}
        resp = self._call("POST", "/trackings", json=body)
        if resp.ok:
            return parse_tracking(_data(resp), "data")
        if _meta(resp).get("code") == TRACKING_ALREADY_EXISTS:
            return self.fetch(number, carrier, None)
        raise _error(resp)

    def fetch(self, number: str, carrier: str | None, provider_id: str | None) -> ProviderTracking:
        if provider_id:
            resp = self._call("GET", f"/trackings/{quote(provider_id, safe='')}")
            if not resp.ok:
                raise _error(resp)
            return parse_tracking(_data(resp), "data")
        params = {"tracking_numbers": number, **({"slug": carrier} if carrier else {})}
        resp = self._call("GET", "/trackings", params=params)
        if not resp.ok:
            raise _error(resp)
        for i, found in enumerate(items(_data(resp), "trackings", "data")):
            if found.get("tracking_number") == number and (not carrier or found.get("slug") == carrier):
                return parse_tracking(found, f"data.trackings[{i}]")
        raise ProviderError(f"aftership: no tracking for {number!r}" + (f" ({carrier})" if carrier else ""), 404)

    def verify_webhook(self, body: bytes, headers: Mapping[str, str], secret: str) -> bool:
        return verify_signature(body, header(headers, SIGNATURE_HEADER), secret)

    def parse_webhook(self, payload: Mapping[str, Any]) -> ProviderTracking:
        return parse_tracking(mapping(mapping(payload, "payload").get("msg"), "msg"), "msg")

    def _call(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        return send(self.session, method, self.root + path, provider=self.name, retry=self.retry, **kwargs)


def verify_signature(body: bytes, signature: str | None, secret: str) -> bool:
    """AfterShip signs the raw body: base64 of HMAC-SHA256 keyed with the webhook secret."""
    if not signature or not secret:
        return False
    expected = base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest())
    return hmac.compare_digest(expected, signature.strip().encode())


def parse_tracking(tracking: Mapping[str, Any], path: str) -> ProviderTracking:
    """A tracking object (API `data` or webhook `msg`) in the common model's words."""
    tag = required_text(tracking, "tag", path)
    subtag = text(tracking, "subtag", path)
    events = [_checkpoint(cp, f"{path}.checkpoints[{i}]") for i, cp in enumerate(items(tracking, "checkpoints", path))]
    return ProviderTracking(
        provider="aftership",
        provider_id=required_text(tracking, "id", path),
        tracking_number=required_text(tracking, "tracking_number", path),
        carrier=text(tracking, "slug", path),
        status=status_for(tag),
        raw_status=f"{tag}/{subtag}" if subtag else tag,
        exception_reason=text(tracking, "subtag_message", path) if tag in REASON_TAGS else None,
        estimated_delivery=_estimate(tracking, path),
        events=oldest_first(events),
        updated_at=utc(moment(tracking, "updated_at", path)),
    )


def _checkpoint(cp: Mapping[str, Any], path: str) -> TrackingEvent:
    tag = text(cp, "tag", path)
    subtag = text(cp, "subtag", path)
    occurred = moment(cp, "checkpoint_time", path, required=True)
    assert occurred is not None
    # `postal_code` since 2026-01 (`zip` before); `country_region` since 2024 (`country_iso3` before).
    where = place(text(cp, "city", path), text(cp, "state", path),
                  text(cp, "postal_code", path) or text(cp, "zip", path),
                  text(cp, "country_region", path) or text(cp, "country_iso3", path))
    return TrackingEvent(
        status=status_for(tag),
        occurred_at=occurred,
        message=text(cp, "message", path) or text(cp, "subtag_message", path),
        location=where or text(cp, "location", path),
        raw_status=(f"{tag}/{subtag}" if subtag else tag),
    )


def _estimate(tracking: Mapping[str, Any], path: str) -> datetime | None:
    """The promised delivery: a single date, else the upper end of a range (late only after the whole window)."""
    for key, single, upper in ESTIMATES:
        if tracking.get(key) is None:
            continue
        estimate = mapping(tracking[key], f"{path}.{key}")
        for field in (single, upper):
            raw = text(estimate, field, f"{path}.{key}")
            if raw is not None:
                return promised(raw, f"{path}.{key}.{field}")
    return None


def _body(resp: requests.Response) -> Mapping[str, Any]:
    return mapping(json_body(resp, "aftership"), "body")


def _data(resp: requests.Response) -> Mapping[str, Any]:
    return mapping(_body(resp).get("data"), "data")


def _meta(resp: requests.Response) -> Mapping[str, Any]:
    try:
        meta = resp.json().get("meta")
    except (ValueError, AttributeError):
        return {}
    return meta if isinstance(meta, Mapping) else {}


def _error(resp: requests.Response) -> ProviderError:
    meta = _meta(resp)
    detail = f"{meta.get('code')} {meta.get('message')}" if meta else resp.reason
    return ProviderError(f"aftership answered {resp.status_code}: {detail}", resp.status_code)
