"""The merchant's return rules, and what they allow for one order: pure functions, no database, no request."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from app.i18n import LANGUAGES
from app.labels import N_

OUTCOMES = ("refund", "store_credit", "exchange")
MAX_PHOTOS = 3
MAX_TEXT = 2000


class PolicyError(ValueError):
    """Rules a merchant sent that cannot be applied, with the reason."""


@dataclass(frozen=True)
class Reason:
    code: str
    labels: Mapping[str, str]  # language -> what the shopper reads
    requires_photo: bool = False

    def label(self, language: str) -> str:
        return self.labels.get(language) or self.labels.get("en") or self.code


DEFAULT_REASONS = (
    Reason("too_small", {"en": "Too small", "es": "Demasiado pequeño"}),
    Reason("too_large", {"en": "Too large", "es": "Demasiado grande"}),
    Reason("not_as_described", {"en": "Not as described", "es": "No es como se describía"}),
    Reason("damaged", {"en": "Arrived damaged", "es": "Llegó dañado"}, requires_photo=True),
    Reason("wrong_item", {"en": "Wrong item sent", "es": "Me enviaron otro artículo"}, requires_photo=True),
    Reason("changed_mind", {"en": "Changed my mind", "es": "Cambié de opinión"}),
)


@dataclass(frozen=True)
class ReturnPolicy:
    """Defaults are a common, generous policy; every field can be set in the admin."""

    enabled: bool = True
    window_days: int = 30  # counted from delivery, or from fulfilment when delivery is unknown
    outcomes: tuple[str, ...] = OUTCOMES
    reasons: tuple[Reason, ...] = DEFAULT_REASONS
    non_returnable_tags: tuple[str, ...] = ("final-sale", "non-returnable")
    non_returnable_skus: tuple[str, ...] = ()
    non_returnable_collections: tuple[str, ...] = ()
    final_sale_order_tags: tuple[str, ...] = ("final-sale",)
    max_returns_per_order: int = 3
    auto_approve: bool = True
    auto_approve_max: Decimal | None = Decimal("100")  # None: any value; auto-approval is always within the window
    text: Mapping[str, str] = field(default_factory=dict)  # the merchant's own words, per language

    def reason(self, code: str | None) -> Reason | None:
        return next((r for r in self.reasons if r.code == code), None)


@dataclass(frozen=True)
class LineFacts:
    """One ordered line, as the rules see it."""

    line_id: str
    title: str
    quantity: int
    unit_price: Decimal
    sku: str | None = None
    already_returned: int = 0  # in returns that are not rejected or cancelled
    tags: tuple[str, ...] = ()
    collections: tuple[str, ...] = ()
    delivered_at: datetime | None = None
    fulfilled_at: datetime | None = None


@dataclass(frozen=True)
class OrderFacts:
    lines: tuple[LineFacts, ...]
    tags: tuple[str, ...] = ()
    cancelled: bool = False
    open_returns: int = 0  # returns already made for this order (any state but rejected/cancelled)


@dataclass(frozen=True)
class LineVerdict:
    line: LineFacts
    returnable: int  # how many can still be returned
    refusal: str | None = None  # why none can (an English msgid; pages translate it)
    window_ends: datetime | None = None


# Why an item or a request is refused; English msgids, translated where they are shown.
NOT_SHIPPED = N_("This item has not been shipped yet.")
WINDOW_CLOSED = N_("The return window for this item has closed.")
FINAL_SALE = N_("This item was a final sale and cannot be returned.")
NON_RETURNABLE = N_("This item cannot be returned.")
ALL_RETURNED = N_("This item has already been returned.")
ORDER_FINAL_SALE = N_("This order was a final sale and cannot be returned.")
ORDER_CANCELLED = N_("This order was cancelled.")
TOO_MANY_RETURNS = N_("This order has reached the maximum number of returns.")
RETURNS_OFF = N_("This store does not accept returns online.")
NOTHING_PICKED = N_("Choose at least one item to return.")
BAD_QUANTITY = N_("Choose a quantity you can return for each item.")
PICK_REASON = N_("Choose a reason for the return.")
PHOTO_NEEDED = N_("Please add at least one photo for this reason.")
TOO_MANY_PHOTOS = N_("You can add up to 3 photos.")
PICK_OUTCOME = N_("Choose how you would like to be compensated.")
PICK_VARIANT = N_("Choose the variant you would like instead.")


def order_refusal(policy: ReturnPolicy, order: OrderFacts) -> str | None:
    """Why no return at all can be made for this order, if so."""
    if not policy.enabled:
        return RETURNS_OFF
    if order.cancelled:
        return ORDER_CANCELLED
    if _overlap(order.tags, policy.final_sale_order_tags):
        return ORDER_FINAL_SALE
    if order.open_returns >= policy.max_returns_per_order:
        return TOO_MANY_RETURNS
    return None


def verdicts(policy: ReturnPolicy, order: OrderFacts, now: datetime) -> list[LineVerdict]:
    """For every line: how many the shopper may still return, or why not."""
    out = []
    for line in order.lines:
        start = line.delivered_at or line.fulfilled_at
        ends = start + timedelta(days=policy.window_days) if start else None
        left = max(line.quantity - line.already_returned, 0)
        refusal = None
        if _overlap(line.tags, ("final-sale",)) and "final-sale" in policy.non_returnable_tags:
            refusal = FINAL_SALE
        elif (_overlap(line.tags, policy.non_returnable_tags) or _overlap(line.collections,
              policy.non_returnable_collections) or (line.sku and _overlap((line.sku,), policy.non_returnable_skus))):
            refusal = NON_RETURNABLE
        elif ends is None:
            refusal = NOT_SHIPPED
        elif now > ends:
            refusal = WINDOW_CLOSED
        elif left == 0:
            refusal = ALL_RETURNED
        out.append(LineVerdict(line, 0 if refusal else left, refusal, ends))
    return out


@dataclass(frozen=True)
class Request:
    """What the shopper asks for: quantities per line, a reason, photos, an outcome (and variants to exchange)."""

    quantities: Mapping[str, int]
    reason: str | None
    outcome: str | None
    photos: int = 0
    exchange_variants: Mapping[str, str] = field(default_factory=dict)  # line id -> variant id


def check(policy: ReturnPolicy, order: OrderFacts, request: Request, now: datetime) -> list[str]:
    """Every reason the request cannot be accepted as it is (empty: it can)."""
    refusal = order_refusal(policy, order)
    if refusal:
        return [refusal]
    errors: list[str] = []
    allowed = {v.line.line_id: v.returnable for v in verdicts(policy, order, now)}
    picked = {line: qty for line, qty in request.quantities.items() if qty}
    if not picked:
        errors.append(NOTHING_PICKED)
    elif any(line not in allowed or qty < 0 or qty > allowed[line] for line, qty in picked.items()):
        errors.append(BAD_QUANTITY)
    reason = policy.reason(request.reason)
    if reason is None:
        errors.append(PICK_REASON)
    elif reason.requires_photo and request.photos == 0:
        errors.append(PHOTO_NEEDED)
    if request.photos > MAX_PHOTOS:
        errors.append(TOO_MANY_PHOTOS)
    if request.outcome not in policy.outcomes:
        errors.append(PICK_OUTCOME)
    elif request.outcome == "exchange" and any(not request.exchange_variants.get(line) for line in picked):
        errors.append(PICK_VARIANT)
    return errors


def value(order: OrderFacts, quantities: Mapping[str, int]) -> Decimal:
    """What the returned items cost the shopper."""
    prices = {line.line_id: line.unit_price for line in order.lines}
    return sum((prices[line] * qty for line, qty in quantities.items() if line in prices), Decimal(0))


def auto_approves(policy: ReturnPolicy, order: OrderFacts, request: Request, now: datetime) -> bool:
    """Within the window (checked already) and under the merchant's value limit, no human needs to look."""
    if not policy.auto_approve or check(policy, order, request, now):
        return False
    return policy.auto_approve_max is None or value(order, request.quantities) <= policy.auto_approve_max


def summary(policy: ReturnPolicy, language: str) -> str:
    """The policy in one paragraph: the merchant's own text, else written from the rules."""
    own = policy.text.get(language) or ""
    if own.strip():
        return own.strip()
    if not policy.enabled:
        return {"es": "Esta tienda no acepta devoluciones en línea.",
                "en": "This store does not accept returns online."}[_lang(language)]
    names = {"es": {"refund": "reembolso", "store_credit": "saldo para la tienda",
                    "exchange": "cambio por otra talla o color"},
             "en": {"refund": "a refund", "store_credit": "store credit",
                    "exchange": "an exchange for another size or colour"}}
    lang = _lang(language)
    outcomes = _join([names[lang][o] for o in policy.outcomes], lang)
    if lang == "es":
        text = (f"Puedes devolver artículos hasta {policy.window_days} días después de recibirlos, a cambio de "
                f"{outcomes}. Los artículos en rebaja final no admiten devolución.")
    else:
        text = (f"You can return items up to {policy.window_days} days after delivery, for {outcomes}. "
                f"Final-sale items cannot be returned.")
    return text


def from_settings(settings: Mapping[str, Any] | None) -> ReturnPolicy:
    """The shop's stored rules (already validated when saved) over the defaults."""
    raw = (settings or {}).get("returns") or {}
    if not raw:
        return ReturnPolicy()
    return _build(raw)


def validate(body: Any) -> dict[str, Any]:
    """The rules as a merchant sends them in the admin, checked; returns what to store."""
    if not isinstance(body, dict):
        raise PolicyError("expected a JSON object with the return rules")
    known = {"enabled", "window_days", "outcomes", "reasons", "non_returnable_tags", "non_returnable_skus",
             "non_returnable_collections", "final_sale_order_tags", "max_returns_per_order", "auto_approve",
             "auto_approve_max", "text", "return_address"}
    unknown = set(body) - known
    if unknown:
        raise PolicyError(f"unknown field(s): {', '.join(sorted(unknown))} (known: {', '.join(sorted(known))})")
    _build(body)  # raises on anything that cannot be applied
    return dict(body)


def _build(raw: Mapping[str, Any]) -> ReturnPolicy:
    d = ReturnPolicy()
    window = raw.get("window_days", d.window_days)
    if not isinstance(window, int) or isinstance(window, bool) or not 0 <= window <= 365:
        raise PolicyError("window_days: a whole number of days from 0 to 365")
    outcomes = tuple(raw.get("outcomes", d.outcomes))
    if not outcomes or any(o not in OUTCOMES for o in outcomes) or len(set(outcomes)) != len(outcomes):
        raise PolicyError(f"outcomes: one or more of {', '.join(OUTCOMES)}")
    max_returns = raw.get("max_returns_per_order", d.max_returns_per_order)
    if not isinstance(max_returns, int) or isinstance(max_returns, bool) or not 1 <= max_returns <= 50:
        raise PolicyError("max_returns_per_order: a whole number from 1 to 50")
    limit = raw.get("auto_approve_max", None if "auto_approve_max" in raw else d.auto_approve_max)
    if limit is not None:
        try:
            limit = Decimal(str(limit))
        except InvalidOperation:
            raise PolicyError("auto_approve_max: an amount such as \"100.00\", or null for any value") from None
        if not limit.is_finite() or limit < 0:
            raise PolicyError("auto_approve_max: an amount such as \"100.00\", or null for any value")
    text = raw.get("text", {})
    if not isinstance(text, dict) or set(text) - set(LANGUAGES) or any(
            not isinstance(v, str) or len(v) > MAX_TEXT for v in text.values()):
        raise PolicyError(f"text: {{\"es\": \"...\", \"en\": \"...\"}}, at most {MAX_TEXT} characters each")
    address = raw.get("return_address")
    if address is not None:
        _check_address(address)
    return ReturnPolicy(
        enabled=_bool(raw, "enabled", d.enabled),
        window_days=window,
        outcomes=outcomes,
        reasons=_reasons(raw["reasons"]) if "reasons" in raw else d.reasons,
        non_returnable_tags=_words(raw, "non_returnable_tags", d.non_returnable_tags),
        non_returnable_skus=_words(raw, "non_returnable_skus", d.non_returnable_skus),
        non_returnable_collections=_words(raw, "non_returnable_collections", d.non_returnable_collections),
        final_sale_order_tags=_words(raw, "final_sale_order_tags", d.final_sale_order_tags),
        max_returns_per_order=max_returns,
        auto_approve=_bool(raw, "auto_approve", d.auto_approve),
        auto_approve_max=limit,
        text={k: v for k, v in text.items()},
    )


ADDRESS_FIELDS = ("name", "company", "line1", "line2", "city", "region", "postal_code", "country_code", "phone")


def _check_address(address: Any) -> None:
    if not isinstance(address, dict) or set(address) - set(ADDRESS_FIELDS):
        raise PolicyError(f"return_address: an object with {', '.join(ADDRESS_FIELDS)}")
    for key in ("line1", "city", "postal_code", "country_code"):
        if not isinstance(address.get(key), str) or not address[key].strip():
            raise PolicyError(f"return_address.{key} is required")
    if any(v is not None and (not isinstance(v, str) or len(v) > 255) for v in address.values()):
        raise PolicyError("return_address: text fields of at most 255 characters")
    if len(address["country_code"].strip()) != 2:
        raise PolicyError("return_address.country_code: two letters, e.g. ES")


def _reasons(raw: Any) -> tuple[Reason, ...]:
    if not isinstance(raw, list) or not 1 <= len(raw) <= 20:
        raise PolicyError("reasons: a list of 1 to 20 reasons")
    out = []
    for i, r in enumerate(raw):
        labels = r.get("labels") if isinstance(r, dict) else None
        code = r.get("code") if isinstance(r, dict) else None
        if (not isinstance(code, str) or not code.strip() or len(code) > 64 or not isinstance(labels, dict)
                or not labels or set(labels) - set(LANGUAGES)
                or any(not isinstance(v, str) or not v.strip() or len(v) > 200 for v in labels.values())):
            raise PolicyError(f'reasons[{i}]: {{"code": "...", "labels": {{"es": "...", "en": "..."}}, '
                              f'"requires_photo": false}}')
        out.append(Reason(code.strip(), {k: v.strip() for k, v in labels.items()}, bool(r.get("requires_photo"))))
    if len({r.code for r in out}) != len(out):
        raise PolicyError("reasons: each code once")
    return tuple(out)


def _words(raw: Mapping[str, Any], key: str, default: tuple[str, ...]) -> tuple[str, ...]:
    value = raw.get(key, list(default))
    if not isinstance(value, list) or len(value) > 200 or any(
            not isinstance(v, str) or not v.strip() or len(v) > 255 for v in value):
        raise PolicyError(f"{key}: a list of words")
    return tuple(v.strip().lower() for v in value)


def _bool(raw: Mapping[str, Any], key: str, default: bool) -> bool:
    value = raw.get(key, default)
    if not isinstance(value, bool):
        raise PolicyError(f"{key}: true or false")
    return value


def _overlap(have: Sequence[str], rules: Sequence[str]) -> bool:
    wanted = {r.lower() for r in rules}
    return any(h.strip().lower() in wanted for h in have)


def _lang(language: str) -> str:
    return "es" if language == "es" else "en"


def _join(words: list[str], lang: str) -> str:
    if len(words) < 2:
        return "".join(words)
    return f"{', '.join(words[:-1])} {'o' if lang == 'es' else 'or'} {words[-1]}"
