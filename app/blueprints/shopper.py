"""Shopper pages: the tracking page behind a signed link, and the lookup form."""

from __future__ import annotations

from typing import Any, NoReturn

from flask import Blueprint, abort, current_app, g, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload, selectinload
from werkzeug.wrappers import Response

from app.extensions import db, limiter
from app.i18n import pick_language
from app.labels import DELAY_LABELS, PROGRESS_STEPS, STATUS_LABELS, progress_index
from app.models import Message, Order, Shipment, Shop
from app.services import engagement, faq, page_cache, recommendations, return_policy
from app.services.links import tracking_token
from app.services.return_links import returns_token
from app.services.shops import shop_settings

bp = Blueprint("shopper", __name__)


@bp.app_context_processor
def _labels() -> dict[str, object]:
    return {"STATUS_LABELS": STATUS_LABELS, "PROGRESS_STEPS": PROGRESS_STEPS, "progress_index": progress_index,
            "DELAY_LABELS": DELAY_LABELS}


def shopper_url(endpoint: str, **values: Any) -> str:
    """A shopper page's URL; on the store's domain (App Proxy) it sits under the proxy's path prefix."""
    path = url_for(f"shopper.{endpoint}", **values)
    prefix = getattr(g, "proxy_prefix", None)
    return f"{prefix}{path}" if prefix else path


def asset_url(filename: str) -> str:
    """Static files always come from the app itself, even on a proxied page."""
    path = url_for("static", filename=filename)
    return f"{current_app.config['APP_URL']}{path}" if getattr(g, "proxy_prefix", None) else path


@bp.app_context_processor
def _urls() -> dict[str, object]:
    return {"shopper_url": shopper_url, "asset_url": asset_url}


RECOMMENDATIONS = 3


def _not_found() -> NoReturn:
    abort(404, description=_("This tracking link is not valid. Please check the link in your email."))


def cached_tracking(token: str, asked_language: str | None) -> str | None:
    """The page on the app's own domain if this worker (or Redis) has it current, counted; else None (Flask's turn).

    Picks the language as i18n.select_locale() would for the request: ?lang= if we speak it, else the order's.
    """
    cache = page_cache.for_app()
    order_id = cache.order_id(token)
    head = cache.head(order_id) if order_id is not None else None
    if order_id is None or head is None:
        return None
    language = asked_language if asked_language and pick_language(asked_language) == asked_language else None
    html = cache.get((order_id, language or pick_language(head.locale), None), head)
    if html is not None:
        engagement.count_page_view(head.shop_id, order_id)
    return html


def render_tracking(token: str, shop_id: int | None = None) -> str:
    """The tracking page for a signed token (limited to one shop when served on its domain).

    One primary-key query per view: the page comes from this worker's cache while its versions match.
    """
    cache = page_cache.for_app()
    order_id = cache.order_id(token)
    head = cache.head(order_id) if order_id is not None else None
    if order_id is None or head is None or (shop_id is not None and head.shop_id != shop_id):
        _not_found()
    g.page_language = pick_language(head.locale)
    key = (order_id, str(get_locale()), getattr(g, "proxy_prefix", None))  # the language it renders in
    html = cache.get(key, head)
    if html is None:
        with cache.reading() as session:
            page = _render_tracking(session, order_id, head, token)
        cache.put(key, page)
        html = page.html
    engagement.count_page_view(head.shop_id, order_id)
    return html


def _render_tracking(session: Session, order_id: int, head: page_cache.Head, token: str) -> page_cache.Page:
    """Render from SQL read after the versions were: a page is never stored under versions newer than its data."""
    order = session.scalar(
        select(Order).where(Order.id == order_id)
        .options(joinedload(Order.shop), selectinload(Order.line_items),
                 selectinload(Order.shipments).selectinload(Shipment.events)))
    if order is None or order.shop_id != head.shop_id:
        _not_found()  # deleted since the versions were read
    shop = order.shop
    limit = RECOMMENDATIONS + len({li.product_id for li in order.line_items})
    sellers = recommendations.best_sellers(shop.id, limit)  # before for_order: the older of the two is kept
    picks = [(r.title, engagement.page_click_url(shop.id, order.id, "recommendation", r.url))
             for r in recommendations.for_order(shop, order, RECOMMENDATIONS)]
    from app.blueprints.returns import portal_url  # the portal builds on these pages, not the other way round

    policy = return_policy.from_settings(shop.settings)
    html = render_template("tracking.html", order=order, shop=shop_settings(shop), token=token,
                           faq=faq.for_page(shop, str(get_locale())), recommendations=picks,
                           policy_text=return_policy.summary(policy, str(get_locale())) if policy.enabled else "",
                           returns_link=portal_url("order", shop, token=returns_token(order.id)))
    return page_cache.Page(head.versions, sellers, limit, html)


def lookup_order(shop_id: int | None) -> tuple[Order | None, str | None]:
    """The order a posted number + email name (counted as a lookup), or the one error for any mismatch."""
    number = (request.values.get("order") or "").strip()
    email = (request.values.get("email") or "").strip()
    if not number or not email or len(number) > 64 or len(email) > 320:
        return None, _("Enter your order number and the email you used to order.")
    wanted = number if number.startswith("#") else f"#{number}"
    query = select(Order).where(Order.number.in_((number, wanted)), func.lower(Order.email) == email.lower())
    if shop_id is not None:
        query = query.where(Order.shop_id == shop_id)
    order = db.session.scalar(query.order_by(Order.placed_at.desc()).limit(1))
    if order is None:
        return None, _("We could not find an order with that number and email.")
    engagement.record("lookup", order.shop_id, order.id)
    db.session.commit()
    return order, None


def handle_lookup(shop_id: int | None = None) -> str | Response:
    """Find an order by number + email; one answer for any mismatch, so nothing can be enumerated."""
    error = None
    if request.method == "POST":
        order, error = lookup_order(shop_id)
        if order is not None:
            return redirect(shopper_url("tracking", token=tracking_token(order.id)))
    return render_template("track_lookup.html", error=error, number=(request.values.get("order") or "").strip(),
                           email=(request.values.get("email") or "").strip())


@bp.get("/t/<token>")
def tracking(token: str) -> str:
    return render_tracking(token)


def _order_key() -> str:
    """Attempts on one order number, from anywhere: guessing its email from many addresses is slow too."""
    number = (request.values.get("order") or "").strip().lstrip("#")[:64]
    return f"order:{getattr(g, 'proxy_shop_id', None) or '-'}:{number}"


# Enough for a shopper who mistypes, far too few to enumerate orders or emails.
LOOKUP_LIMITS = "10 per minute;60 per hour"
ORDER_LIMIT = "20 per hour"


def lookup_limited(view: Any) -> Any:
    view = limiter.limit(ORDER_LIMIT, key_func=_order_key, methods=["POST"])(view)
    return limiter.limit(LOOKUP_LIMITS, methods=["POST"])(view)


@bp.route("/track", methods=["GET", "POST"])
@lookup_limited
def lookup() -> str | Response:
    return handle_lookup()


# The smallest transparent GIF: what an email client fetches when the shopper opens the email.
PIXEL = bytes.fromhex("47494638396101000100800000000000ffffff21f90401000000002c00000000010001000002024401003b")


@bp.get("/r/<token>")
def click(token: str) -> Response:
    """Count the click, then go where the email's link was signed to go; nowhere else (no open redirect)."""
    data = engagement.read(token)
    target = data.get("u") if data else None
    if not isinstance(target, str) or not target.startswith(("https://", "http://")):
        abort(404, description=_("This link is not valid. Please check the link in your email."))
    assert data is not None
    if isinstance(data.get("m"), int):
        message = db.session.get(Message, data["m"])
        if message is not None:
            engagement.record("click", message.shop_id, message.order_id, message.id)
    elif data.get("k") == "recommendation" and db.session.get(Shop, data["s"]) is not None:
        order_id = data.get("o") if isinstance(data.get("o"), int) else None
        engagement.record("recommendation", data["s"], order_id if db.session.get(Order, order_id) else None)
    db.session.commit()
    return redirect(target, 302)


@bp.get("/o/<token>.gif")
def opened(token: str) -> Response:
    """Count an open; always the same pixel, never cached, whatever the token."""
    data = engagement.read(token)
    message = db.session.get(Message, data["m"]) if data else None
    if message is not None:
        engagement.record("open", message.shop_id, message.order_id, message.id)
        db.session.commit()
    return Response(PIXEL, 200, {"Content-Type": "image/gif", "Cache-Control": "no-store, max-age=0"})


@bp.get("/")
def index() -> str:
    return render_template("index.html")
