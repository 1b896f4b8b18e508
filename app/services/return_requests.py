"""A shopper's return request: what their order allows, and turning a checked form into one return."""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.models import Order, Return, ReturnPhoto, Shop
from app.services import return_policy, return_workflow
from app.services.platform_access import NotConnected, access_for
from app.services.return_photos import Photo
from app.services.return_policy import LineFacts, OrderFacts, ReturnPolicy
from connectors.base import NotSupported, PlatformError
from connectors.model import Product, ReturnLine

log = logging.getLogger(__name__)

LIVE = ("rejected", "canceled")  # returns in these states give their items back to the shopper's allowance
PRODUCTS_TTL = 600.0
_products: dict[tuple[int, str], tuple[float, Product | None]] = {}


def policy_for(shop: Shop) -> ReturnPolicy:
    return return_policy.from_settings(shop.settings)


def products_for(shop: Shop, order: Order) -> dict[str, Product]:
    """Tags, collections and variants of the order's products, from the platform (kept ten minutes per process)."""
    wanted = sorted({li.product_id for li in order.line_items if li.product_id})
    now = time.monotonic()
    missing = [p for p in wanted if (shop.id, p) not in _products or _products[(shop.id, p)][0] < now]
    if missing:
        try:
            connector, access = access_for(shop)
            found = {p.external_id: p for p in connector.get_products(access, missing)}
        except (NotConnected, NotSupported, PlatformError, OSError) as exc:
            log.warning("shop %s: products not read (%s); product rules cannot apply", shop.id, exc)
            found = {}
        else:
            for product_id in missing:
                _products[(shop.id, product_id)] = (now + PRODUCTS_TTL, found.get(product_id))
    out = {}
    for product_id in wanted:
        cached = _products.get((shop.id, product_id))
        if cached and cached[1] is not None:
            out[product_id] = cached[1]
    return out


def clear_products_cache() -> None:
    _products.clear()


def order_facts(order: Order, products: Mapping[str, Product]) -> OrderFacts:
    """The order as the rules see it: per line, when it left and arrived, and how much is already coming back."""
    shipments = [s for s in order.shipments if not s.cancelled]  # parcels to the shopper (returns excluded)
    returns = list(db.session.scalars(select(Return).where(Return.order_id == order.id, Return.status.not_in(LIVE))))
    returned: dict[str, int] = {}
    for ret in returns:
        for line in ret.lines:
            returned[str(line["line_item_id"])] = returned.get(str(line["line_item_id"]), 0) + int(line["quantity"])
    lines = []
    for li in order.line_items:
        carrying = [s for s in shipments if not s.items or any(str(i["line_item_id"]) == li.external_id
                                                              for i in s.items)]
        delivered = [s.delivered_at for s in carrying if s.delivered_at]
        fulfilled = [s.shipped_at or s.created_at for s in carrying]
        product = products.get(li.product_id or "")
        lines.append(LineFacts(
            line_id=li.external_id, title=li.title, quantity=li.quantity, unit_price=Decimal(li.price_amount),
            sku=li.sku, already_returned=returned.get(li.external_id, 0),
            tags=product.tags if product else (), collections=product.collections if product else (),
            delivered_at=max(delivered) if delivered else None, fulfilled_at=min(fulfilled) if fulfilled else None))
    return OrderFacts(lines=tuple(lines), tags=tuple(order.tags or ()), cancelled=order.cancelled_at is not None,
                      open_returns=len(returns))


@dataclass(frozen=True)
class Submission:
    """A portal form, parsed: line id -> quantity, and the rest of the shopper's answers."""

    key: str  # the form's one-time key: submitting twice makes one return
    quantities: Mapping[str, int]
    reason: str | None
    outcome: str | None
    comment: str
    language: str
    photos: Sequence[Photo] = ()
    exchange_variants: Mapping[str, str] = field(default_factory=dict)


class RequestRefused(ValueError):
    """The request breaks the store's rules; `errors` are English msgids for the page."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("; ".join(errors))
        self.errors = errors


def submit(shop: Shop, order: Order, form: Submission, now: datetime | None = None) -> Return:
    """Check the form against the rules, then store one return (auto-approved when the rules say so)."""
    now = now or datetime.now(UTC)
    existing = db.session.scalar(select(Return).where(Return.shop_id == shop.id, Return.submission_key == form.key))
    if existing is not None:
        return existing  # the same form sent twice (a double click, a reload)
    policy = policy_for(shop)
    products = products_for(shop, order)
    facts = order_facts(order, products)
    picked = {line: qty for line, qty in form.quantities.items() if qty}
    request = return_policy.Request(picked, form.reason, form.outcome, len(form.photos), form.exchange_variants)
    errors = return_policy.check(policy, facts, request, now)
    if form.outcome == "exchange" and not errors:
        errors = _check_variants(order, products, picked, form.exchange_variants)
    if errors:
        raise RequestRefused(errors)
    value = return_policy.value(facts, picked)
    ret = Return(shop_id=shop.id, order_id=order.id, source="portal", status="requested", submission_key=form.key,
                 lines=[asdict(ReturnLine(line, qty, form.reason, form.comment or None))
                        for line, qty in picked.items()],
                 outcome=form.outcome, reason=form.reason, comment=form.comment or None, language=form.language,
                 value_amount=value, currency=order.currency, created_at=now, updated_at=now,
                 exchange_lines=[{"line_item_id": line, "variant_id": form.exchange_variants[line], "quantity": qty}
                                 for line, qty in picked.items()] if form.outcome == "exchange" else None)
    try:
        with db.session.begin_nested():
            db.session.add(ret)
            db.session.flush()
    except IntegrityError:
        found = db.session.scalar(select(Return).where(Return.shop_id == shop.id, Return.submission_key == form.key))
        if found is None:
            raise
        return found
    try:
        with db.session.begin_nested():
            ret.rma = rma_for(order, ret)
            db.session.flush()
    except IntegrityError:  # two returns for one order at the same moment: the id keeps it unique
        ret.rma = f"RMA-{order.number.lstrip('#')}-{ret.id}"[:40]
    for photo in form.photos:
        db.session.add(ReturnPhoto(return_id=ret.id, content_type=photo.content_type, data=photo.data,
                                   width=photo.width, height=photo.height, created_at=now))
    return_workflow.record_start(ret)
    if return_policy.auto_approves(policy, facts, request, now):
        return_workflow.approve(ret, auto=True)
    db.session.commit()
    return ret


def rma_for(order: Order, ret: Return) -> str:
    """Readable on a parcel and unique in the shop: the order number and how many returns it has had."""
    n = db.session.scalar(select(func.count()).select_from(Return).where(Return.order_id == order.id,
                                                                         Return.id <= ret.id))
    return f"RMA-{order.number.lstrip('#')}-{n}"[:40]


def _check_variants(order: Order, products: Mapping[str, Product], picked: Mapping[str, int],
                    wanted: Mapping[str, str]) -> list[str]:
    """An exchange is for another available variant of the same product."""
    by_line = {li.external_id: li for li in order.line_items}
    for line in picked:
        product = products.get(by_line[line].product_id or "")
        variant = next((v for v in product.variants if v.external_id == wanted.get(line)), None) if product else None
        if variant is None or not variant.available:
            return [return_policy.PICK_VARIANT]
    return []


def exchange_options(order: Order, products: Mapping[str, Product]) -> dict[str, list[tuple[str, str]]]:
    """Per line: the other variants in stock that an exchange can send."""
    options = {}
    for li in order.line_items:
        product = products.get(li.product_id or "")
        if product:
            options[li.external_id] = [(v.external_id, v.title) for v in product.variants
                                       if v.available and v.external_id != li.variant_id]
    return options
