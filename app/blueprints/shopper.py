"""Shopper pages: the tracking page behind a signed link, and the lookup form."""

from __future__ import annotations

from flask import Blueprint, abort, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import func, select
from werkzeug.wrappers import Response

from app.extensions import db
from app.i18n import pick_language
from app.labels import PROGRESS_STEPS, STATUS_LABELS, progress_index
from app.models import Order, Shop
from app.services.links import order_id_from_token, tracking_token
from app.services.shops import shop_settings

bp = Blueprint("shopper", __name__)


@bp.app_context_processor
def _labels() -> dict[str, object]:
    return {"STATUS_LABELS": STATUS_LABELS, "PROGRESS_STEPS": PROGRESS_STEPS, "progress_index": progress_index}


@bp.get("/t/<token>")
def tracking(token: str) -> str:
    order_id = order_id_from_token(token)
    order = db.session.get(Order, order_id) if order_id is not None else None
    if order is None:
        abort(404, description=_("This tracking link is not valid. Please check the link in your email."))
    g.page_language = pick_language(order.locale)
    shop = db.session.get(Shop, order.shop_id)
    assert shop is not None
    return render_template("tracking.html", order=order, shop=shop_settings(shop), token=token)


@bp.route("/track", methods=["GET", "POST"])
def lookup() -> str | Response:
    """Find an order by number + email; one answer for any mismatch, so nothing can be enumerated."""
    error = None
    number = (request.values.get("order") or "").strip()
    email = (request.values.get("email") or "").strip()
    if request.method == "POST":
        if not number or not email or len(number) > 64 or len(email) > 320:
            error = _("Enter your order number and the email you used to order.")
        else:
            wanted = number if number.startswith("#") else f"#{number}"
            order = db.session.scalar(
                select(Order)
                .where(Order.number.in_((number, wanted)), func.lower(Order.email) == email.lower())
                .order_by(Order.placed_at.desc())
                .limit(1)
            )
            if order is not None:
                return redirect(url_for("shopper.tracking", token=tracking_token(order.id)))
            error = _("We could not find an order with that number and email.")
    return render_template("track_lookup.html", error=error, number=number, email=email)


@bp.get("/")
def index() -> str:
    return render_template("index.html")
