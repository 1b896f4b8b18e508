"""Tracking providers (AfterShip, EasyPost) behind one small Protocol, chosen by name."""

from __future__ import annotations

import email.utils
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol, runtime_checkable

import requests

from connectors.base import NormalizeError
from connectors.model import ShipmentStatus, TrackingEvent

PROVIDERS: tuple[str, ...] = ("aftership", "easypost")


class ProviderError(RuntimeError):
    """A provider answered with an error that retrying here will not fix (or kept failing)."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class ProviderAuthError(ProviderError):
    """The provider refused the API key (401/403): a setting to fix, not a call to retry."""


class UnknownProvider(LookupError):
    """No tracking provider is known under that name."""


@dataclass(frozen=True, slots=True)
class ProviderTracking:
    """One parcel as a provider sees it, already in the common model's words."""

    provider: str  # "aftership" | "easypost"
    provider_id: str  # the provider's id for this tracker
    tracking_number: str
    carrier: str | None  # the provider's carrier slug/name as given
    status: ShipmentStatus
    raw_status: str | None  # the provider's own words, e.g. "Exception/Exception_011"
    exception_reason: str | None  # why it needs attention, for the merchant; None when nothing is wrong
    estimated_delivery: datetime | None  # tz-aware UTC; a bare date means the end of that day, no offset means UTC
    events: tuple[TrackingEvent, ...]  # oldest first
    updated_at: datetime | None


@runtime_checkable
class TrackingProvider(Protocol):
    """What the app needs from a tracking provider, whichever one the operator configured."""

    name: str

    def register(self, number: str, carrier: str | None) -> ProviderTracking:
        """Start tracking a parcel; an existing tracker is fetched, never duplicated."""
        ...

    def fetch(self, number: str, carrier: str | None, provider_id: str | None) -> ProviderTracking:
        """The provider's current view of a parcel (by its id when known, else by number)."""
        ...

    def verify_webhook(self, body: bytes, headers: Mapping[str, str], secret: str) -> bool:
        """True when the signature header matches the raw body under the webhook secret."""
        ...

    def parse_webhook(self, payload: Mapping[str, Any]) -> ProviderTracking:
        """The tracking a webhook carries; NormalizeError when the payload has the wrong shape."""
        ...


def get_provider(name: str, api_key: str, base_url: str | None = None) -> TrackingProvider:
    """The provider registered under `name`; base_url points it at a local fake in tests."""
    if name == "aftership":
        from connectors.carriers.providers.aftership import AfterShipProvider

        return AfterShipProvider(api_key, base_url=base_url)
    if name == "easypost":
        from connectors.carriers.providers.easypost import EasyPostProvider

        return EasyPostProvider(api_key, base_url=base_url)
    raise UnknownProvider(f"unknown tracking provider: {name!r} (known: {', '.join(PROVIDERS)})")


# --- transport shared by the providers -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How hard to try: bounded attempts and waits, with `sleep`/`now` injectable for tests."""

    attempts: int = 4
    base_wait: float = 0.5
    max_wait: float = 30.0
    timeout: float = 15.0
    sleep: Callable[[float], None] = time.sleep
    now: Callable[[], float] = time.time


def send(session: requests.Session, method: str, url: str, *, provider: str, retry: RetryPolicy,
         **kwargs: Any) -> requests.Response:
    """One HTTP call retried on 429, 5xx and connection errors; 401/403 raise, other answers return."""
    for attempt in range(1, retry.attempts + 1):
        backoff = min(retry.base_wait * 2 ** (attempt - 1), retry.max_wait)
        try:
            resp = session.request(method, url, timeout=retry.timeout, **kwargs)
        except (requests.ConnectionError, requests.Timeout) as exc:
            if attempt == retry.attempts:
                raise ProviderError(f"{provider}: {method} {url} failed after {attempt} attempts: {exc}") from exc
            retry.sleep(backoff)
            continue
        if resp.status_code in (401, 403):
            raise ProviderAuthError(f"{provider} refused the API key ({resp.status_code})", resp.status_code)
        if resp.status_code == 429 or resp.status_code >= 500:
            if attempt == retry.attempts:
                raise ProviderError(f"{provider}: {method} {url} still answered {resp.status_code} after "
                                    f"{attempt} attempts", resp.status_code)
            hinted = _retry_after(resp, retry.now())
            retry.sleep(min(hinted if hinted is not None else backoff, retry.max_wait))
            continue
        return resp
    raise AssertionError("unreachable: the loop returns or raises")  # pragma: no cover


def _retry_after(resp: requests.Response, now: float) -> float | None:
    """Seconds the provider asked us to wait: Retry-After (seconds or a date), else X-RateLimit-Reset."""
    value = resp.headers.get("Retry-After")
    if value:
        value = value.strip()
        try:
            return max(float(value), 0.0)
        except ValueError:
            try:
                return max(email.utils.parsedate_to_datetime(value).timestamp() - now, 0.0)
            except (TypeError, ValueError):
                return None
    reset = resp.headers.get("X-RateLimit-Reset")
    if reset:
        try:
            return max(float(reset) - now, 0.0)
        except ValueError:
            return None
    return None


def json_body(resp: requests.Response, provider: str) -> Any:
    """The decoded JSON of an answer, or ProviderError when the provider sent something else."""
    try:
        return resp.json()
    except ValueError:
        raise ProviderError(f"{provider}: expected JSON, got {resp.headers.get('Content-Type')!r} "
                            f"({resp.status_code})", resp.status_code) from None


def header(headers: Mapping[str, str], name: str) -> str | None:
    """A header by name, case-insensitively, whatever mapping the web framework handed over."""
    value = headers.get(name)
    if value is not None:
        return value
    lowered = name.lower()
    return next((v for k, v in headers.items() if k.lower() == lowered), None)


# --- reading payloads: every failure names the path of the field --------------------------------------


def mapping(value: Any, path: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise NormalizeError(f"{path}: expected an object, got {type(value).__name__}")
    return value


def items(obj: Mapping[str, Any], key: str, path: str) -> list[Mapping[str, Any]]:
    """A list of objects under `key` (missing or null is empty), each checked to be an object."""
    value = obj.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise NormalizeError(f"{path}.{key}: expected a list, got {type(value).__name__}")
    return [mapping(v, f"{path}.{key}[{i}]") for i, v in enumerate(value)]


def text(obj: Mapping[str, Any], key: str, path: str, required: bool = False) -> str | None:
    """A string field; blank counts as absent, and absent is an error only when required."""
    value = obj.get(key)
    if value is None or value == "":
        if required:
            raise NormalizeError(f"{path}.{key}: required")
        return None
    if not isinstance(value, str):
        raise NormalizeError(f"{path}.{key}: expected a string, got {type(value).__name__}")
    return value


def required_text(obj: Mapping[str, Any], key: str, path: str) -> str:
    value = text(obj, key, path, required=True)
    assert value is not None
    return value


_DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def moment(obj: Mapping[str, Any], key: str, path: str, required: bool = False) -> datetime | None:
    """A tz-aware time as the provider wrote it; no offset means UTC (the provider did not say)."""
    raw = text(obj, key, path, required)
    if raw is None:
        return None
    value = _parse(raw, f"{path}.{key}")
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def promised(raw: str | None, path: str) -> datetime | None:
    """A delivery estimate in UTC: a bare date means "by the end of that day", so never late too early."""
    if raw is None:
        return None
    if _DATE_ONLY.match(raw):
        day = _parse(raw, path)
        return day.replace(tzinfo=UTC) + timedelta(days=1, microseconds=-1)
    value = _parse(raw, path)
    return (value if value.tzinfo is not None else value.replace(tzinfo=UTC)).astimezone(UTC)


def _parse(raw: str, path: str) -> datetime:
    try:
        return datetime.fromisoformat(raw.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise NormalizeError(f"{path}: expected a date-time, got {raw!r}") from None


def utc(value: datetime | None) -> datetime | None:
    return value.astimezone(UTC) if value is not None else None


def place(city: str | None, state: str | None, postal_code: str | None, country: str | None) -> str | None:
    """One readable place ("OCEANSIDE, CA 92056, US") from whatever parts the carrier gave."""
    region = " ".join(p for p in (state, postal_code) if p)
    return ", ".join(p for p in (city, region, country) if p) or None


def oldest_first(events: list[TrackingEvent]) -> tuple[TrackingEvent, ...]:
    """Checkpoints in time order (stable), whatever order the provider listed them in."""
    return tuple(sorted(events, key=lambda e: e.occurred_at))
