"""The shoppers' returns portal: find the order, choose what goes back and how, follow the return."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, abort, g, redirect, render_template, request, url_for
from flask_babel import get_locale, refresh
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy import select
from werkzeug.datastructures import FileStorage
from werkzeug.wrappers import Response

from app.blueprints.shopper import lookup_limited, lookup_order
from app.extensions import csrf, db
from app.i18n import pick_language
from app.labels import STATUS_LABELS
from app.models import Order, Return, Shop
from app.services import return_policy, return_requests, return_workflow
from app.services.return_links import (
    order_id_from_returns_token,
    return_id_from_token,
    return_token,
    returns_token,
    shop_ref,
)
from app.services.return_photos import MAX_BYTES, PhotoError, clean
from app.services.shops import find_shop, shop_settings

bp = Blueprint("returns", __name__, url_prefix="/returns")

MAX_UPLOAD = 16 * 1024 * 1024  # three photos of at most 5 MB each, and the form around them


def portal_shop(ref: str) -> Shop:
    """The shop a portal path names (id, myshopify.com domain or WooCommerce host), if it still uses Postventa."""
    shop = find_shop(ref)
    if shop is None or shop.uninstalled_at is not None:
        abort(404, description=_("This store does not offer online returns."))
    return shop


def portal_url(endpoint: str, shop: Shop, **values: Any) -> str:
    """A portal URL: on the store's domain (App Proxy) under its prefix, else on ours with the shop in the path."""
    prefix = getattr(g, "proxy_prefix", None)
    if prefix:
        # Shopify maps <prefix>/* on the store's domain to /proxy/* here: the store's URL has no /proxy.
        return f"{prefix}{url_for(f'proxy.returns_{endpoint}', **values).removeprefix('/proxy')}"
    return url_for(f"returns.{endpoint}", shop=shop_ref(shop), **values)


@bp.app_context_processor
def _helpers() -> dict[str, object]:
    return {"portal_url": portal_url, "RETURN_STATUS_LABELS": return_workflow.STATUS_LABELS}


@bp.before_request
def _limits() -> None:
    request.max_content_length = MAX_UPLOAD


def _protect() -> None:
    """CSRF on every portal form (on the store's domain Shopify signs each request and strips cookies instead)."""
    if getattr(g, "proxy_shop_id", None) is None:
        try:
            csrf.protect()
        except CSRFError:
            abort(400, description=_("This form has expired. Please reload the page and try again."))


def lookup_page(shop: Shop) -> str | Response:
    """Find the order by number + email; one answer for any mismatch, so nothing can be enumerated."""
    refresh()  # a fresh look at ?lang= (Flask-Babel keeps one locale per app context)
    error = None
    policy = return_requests.policy_for(shop)
    if request.method == "POST":
        _protect()
        order, error = lookup_order(shop.id)
        if order is not None:
            return redirect(portal_url("order", shop, token=returns_token(order.id)))
    return render_template("returns_lookup.html", shop=shop_settings(shop), error=error,
                           number=(request.values.get("order") or "").strip(),
                           email=(request.values.get("email") or "").strip(),
                           policy_text=return_policy.summary(policy, str(get_locale())))


def _order_from(shop: Shop, token: str) -> Order:
    order_id = order_id_from_returns_token(token)
    order = db.session.get(Order, order_id) if order_id is not None else None
    if order is None or order.shop_id != shop.id:
        abort(404, description=_("This returns link is not valid. Please check the link in your email."))
    return order


def order_page(shop: Shop, token: str) -> str | Response:
    """The return form for one order; a POST checks it against the rules and creates the return."""
    order = _order_from(shop, token)
    g.page_language = pick_language(order.locale)
    refresh()  # the order's language, even if something already asked for the browser's
    policy = return_requests.policy_for(shop)
    products = return_requests.products_for(shop, order)
    facts = return_requests.order_facts(order, products)
    errors: list[str] = []
    if request.method == "POST":
        _protect()
        try:
            form = _parse(order)
        except PhotoError as exc:
            errors = [str(exc)]
        else:
            try:
                ret = return_requests.submit(shop, order, form)
            except return_requests.RequestRefused as exc:
                errors = exc.errors
            else:
                return redirect(portal_url("status", shop, token=return_token(ret.id)))
    language = str(get_locale())
    verdicts = return_policy.verdicts(policy, facts, datetime.now(UTC))
    options = return_requests.exchange_options(order, products)
    outcomes = [o for o in policy.outcomes if o != "exchange" or any(options.values())]
    status = 422 if errors else 200
    html = render_template(
        "returns_form.html", shop=shop_settings(shop), order=order, verdicts=verdicts,
        order_refusal=return_policy.order_refusal(policy, facts), reasons=policy.reasons, language=language,
        outcomes=outcomes, options=options, errors=errors, form_key=request.form.get("key") or secrets.token_hex(16),
        policy_text=return_policy.summary(policy, language), values=request.form,
        returns=list(db.session.scalars(select(Return).where(Return.order_id == order.id).order_by(Return.id))))
    return html if status == 200 else Response(html, status, mimetype="text/html")


def _parse(order: Order) -> return_requests.Submission:
    """The form's fields, bounded; a bad photo stops here with its reason."""
    quantities = {}
    for li in order.line_items:
        raw = request.form.get(f"qty-{li.external_id}", "0").strip() or "0"
        quantities[li.external_id] = int(raw) if raw.isdigit() and len(raw) < 6 else -1
    files = [f for f in request.files.getlist("photos") if isinstance(f, FileStorage) and f.filename]
    try:
        if len(files) > return_policy.MAX_PHOTOS:
            raise PhotoError(return_policy.TOO_MANY_PHOTOS)
        photos = [clean(f.stream.read(MAX_BYTES + 1)) for f in files]
    finally:
        for f in request.files.getlist("photos"):
            f.close()
    variants = {li.external_id: (request.form.get(f"variant-{li.external_id}") or "")[:64] for li in order.line_items}
    return return_requests.Submission(
        key=(request.form.get("key") or "")[:64] or secrets.token_hex(16), quantities=quantities,
        reason=(request.form.get("reason") or None), outcome=(request.form.get("outcome") or None),
        comment=(request.form.get("comment") or "").strip()[:2000], language=str(get_locale()), photos=photos,
        exchange_variants={k: v for k, v in variants.items() if v})


def _return_from(shop: Shop, token: str) -> Return:
    return_id = return_id_from_token(token)
    ret = db.session.get(Return, return_id) if return_id is not None else None
    if ret is None or ret.shop_id != shop.id:
        abort(404, description=_("This return link is not valid. Please check the link in your email."))
    return ret


def status_page(shop: Shop, token: str) -> str:
    ret = _return_from(shop, token)
    g.page_language = pick_language(ret.language or ret.order.locale)
    refresh()
    titles = {li.external_id: li for li in ret.order.line_items}
    policy = return_requests.policy_for(shop)
    timeline = [(e.occurred_at, return_workflow.STATUS_LABELS[e.status], e.note) for e in ret.events]
    if ret.shipment is not None:  # the parcel's scans, in the same list as the return's own steps
        timeline += [(e.occurred_at, STATUS_LABELS[e.status], e.location) for e in ret.shipment.events]
    timeline.sort(key=lambda step: step[0], reverse=True)
    return render_template("return_status.html", shop=shop_settings(shop), ret=ret, order=ret.order, token=token,
                           timeline=timeline,
                           items=[(titles.get(str(line["line_item_id"])), line["quantity"]) for line in ret.lines],
                           reason=policy.reason(ret.reason), language=str(get_locale()),
                           policy_text=return_policy.summary(policy, str(get_locale())))


def label_download(shop: Shop, token: str) -> Response:
    ret = _return_from(shop, token)
    if ret.label_pdf is None:
        if ret.label_url and ret.label_url.startswith("https://"):
            return redirect(ret.label_url)
        abort(404, description=_("The label is not ready yet. We will email it to you."))
    headers = {"Content-Disposition": f'inline; filename="{ret.rma or "return"}-label.pdf"',
               "Cache-Control": "private, no-store"}
    return Response(ret.label_pdf, 200, headers, mimetype="application/pdf")


@bp.route("/<shop>", methods=["GET", "POST"])
@lookup_limited
def lookup(shop: str) -> str | Response:
    return lookup_page(portal_shop(shop))


@bp.route("/<shop>/o/<token>", methods=["GET", "POST"])
def order(shop: str, token: str) -> str | Response:
    return order_page(portal_shop(shop), token)


@bp.get("/<shop>/r/<token>")
def status(shop: str, token: str) -> str:
    return status_page(portal_shop(shop), token)


@bp.get("/<shop>/r/<token>/label.pdf")
def label(shop: str, token: str) -> Response:
    return label_download(portal_shop(shop), token)
