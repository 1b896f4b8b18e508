"""What the carrier-label providers share: their settings, the rate they buy, and the parcel they describe."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal, InvalidOperation

from connectors.labels import LABEL_SETTINGS, LabelConfigError, LabelError
from connectors.model import Address, Money

DEFAULT_WEIGHT_GRAMS = 1000  # a return whose weight nobody gave: a parcel of clothes, rated a little high
DEFAULT_TIMEOUT = 30.0  # seconds; buying a label waits on the carrier, which can be slow
GRAMS_PER_OUNCE = Decimal("28.349523125")
_TRUE, _FALSE = frozenset({"1", "true", "yes", "on"}), frozenset({"0", "false", "no", "off"})


@dataclass(frozen=True, slots=True)
class PurchaseSettings:
    """One provider account and how to buy with it, read once from the keyword settings."""

    api_key: str
    base_url: str | None = None
    carrier: str | None = None
    service: str | None = None
    default_weight_grams: int = DEFAULT_WEIGHT_GRAMS
    qr_code: bool = False
    timeout: float = DEFAULT_TIMEOUT
    read: frozenset[str] = frozenset()  # the setting names that were given and used


def read_settings(provider: str, settings: Mapping[str, str | None]) -> PurchaseSettings:
    """Settings for `provider`, or LabelConfigError naming the setting (and its config key) that is wrong."""
    keys = LABEL_SETTINGS[provider]
    given = {name: str(value).strip() for name, value in settings.items()
             if name in keys and value is not None and str(value).strip()}

    def fail(name: str, why: str) -> LabelConfigError:
        return LabelConfigError(f"{provider}: the {name} setting ({keys[name]}) {why}", provider=provider)

    if "api_key" not in given:
        raise fail("api_key", "is required to buy labels")
    weight = given.get("default_weight_grams", str(DEFAULT_WEIGHT_GRAMS))
    if not weight.isdigit() or int(weight) <= 0:
        raise fail("default_weight_grams", f"must be a whole number of grams above 0, got {weight!r}")
    qr_code = given.get("qr_code", "0").lower()
    if qr_code not in _TRUE | _FALSE:
        raise fail("qr_code", f"must be 1/0, true/false, yes/no or on/off, got {qr_code!r}")
    try:
        timeout = float(given.get("timeout", DEFAULT_TIMEOUT))
    except ValueError:
        timeout = 0.0
    if not 0 < timeout <= 600:
        raise fail("timeout", f"must be seconds between 0 and 600, got {given['timeout']!r}")
    return PurchaseSettings(api_key=given["api_key"], base_url=given.get("base_url"), carrier=given.get("carrier"),
                            service=given.get("service"), default_weight_grams=int(weight),
                            qr_code=qr_code in _TRUE, timeout=timeout, read=frozenset(given))


@dataclass(frozen=True, slots=True)
class Offer:
    """One rate a provider offered for the parcel, in the words needed to choose and buy it."""

    rate_id: str
    carrier: str
    service: str
    amount: Decimal
    currency: str
    days: int | None = None


def cheapest(offers: Sequence[Offer], settings: PurchaseSettings, provider: str,
             notes: Sequence[str] = ()) -> Offer:
    """The cheapest offer of the configured carrier/service (the faster one on a tie); LabelError when none fits."""
    wanted = [o for o in offers
              if (settings.carrier is None or o.carrier.casefold() == settings.carrier.casefold())
              and (settings.service is None or o.service.casefold() == settings.service.casefold())]
    if not wanted:
        asked = " ".join(p for p in (settings.carrier, settings.service) if p) or "any carrier"
        offered = ", ".join(sorted({f"{o.carrier} {o.service}" for o in offers})) or "nothing"
        said = f"; the provider said: {' | '.join(notes)}" if notes else ""
        raise LabelError(f"{provider}: no rate for {asked} (offered: {offered}){said}", provider=provider)
    currencies = sorted({o.currency for o in wanted})
    if len(currencies) > 1:
        raise LabelError(f"{provider}: rates come in several currencies ({', '.join(currencies)}); set the carrier "
                         "and service settings to choose one", provider=provider)
    return min(wanted, key=lambda o: (o.amount, o.days if o.days is not None else 10**6, o.rate_id))


def weight_grams(request_grams: int | None, settings: PurchaseSettings) -> int:
    """The parcel's weight: the return's own when known, the configured default otherwise."""
    return request_grams if request_grams and request_grams > 0 else settings.default_weight_grams


def ounces(grams: int) -> Decimal:
    """Grams as ounces to 0.1, rounded up so the carrier never finds the parcel heavier than paid for."""
    tenths = (Decimal(grams) * 10 / GRAMS_PER_OUNCE).to_integral_value(rounding=ROUND_CEILING)
    return max(tenths / 10, Decimal("0.1"))


def money(amount: object, currency: object) -> Money | None:
    """A provider's price ("7.37", "USD") as Money; None when it gave none or something unreadable."""
    if amount in (None, "") or not isinstance(currency, str) or len(currency) != 3:
        return None
    try:
        return Money(Decimal(str(amount)), currency.upper())
    except (InvalidOperation, ValueError):
        return None


def decimal_or_none(value: object) -> Decimal | None:
    """A provider's amount as Decimal, or None when it is missing or not a number."""
    try:
        return Decimal(str(value)) if value not in (None, "") else None
    except InvalidOperation:
        return None


def reference(key: str, limit: int) -> str:
    """The idempotency key as the provider may store it: itself when short and plain, else readable plus a hash."""
    if len(key) <= limit and re.fullmatch(r"[A-Za-z0-9_-]+", key):
        return key
    digest = hashlib.sha256(key.encode()).hexdigest()[:16]
    readable = re.sub(r"[^A-Za-z0-9_-]+", "-", key).strip("-")[: limit - len(digest) - 1]
    return f"{readable}-{digest}" if readable else digest


def carrier_address(place: Address, fallback_name: str | None = None) -> dict[str, str]:
    """An address in the field names EasyPost and Shippo share, leaving out what is unknown."""
    fields = {"name": place.name or fallback_name, "company": place.company, "street1": place.line1,
              "street2": place.line2, "city": place.city, "state": place.region, "zip": place.postal_code,
              "country": place.country_code, "phone": place.phone}
    return {k: v for k, v in fields.items() if v}
