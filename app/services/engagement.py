"""Opens, clicks, page views and lookups: signed links that redirect only where we sent them, counted in SQL."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import distinct, func, select

from app.extensions import db
from app.models import Engagement

_SALT = "postventa.engagement.v1"
KINDS = ("open", "click", "page_view", "lookup", "recommendation")


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=_SALT)


def click_url(message_id: int, target: str) -> str:
    """A link in an email that counts the click, then goes to `target` (and only there: it is signed)."""
    return f"{current_app.config['APP_URL']}/r/{_serializer().dumps({'m': message_id, 'u': target})}"


def page_click_url(shop_id: int, order_id: int, kind: str, target: str) -> str:
    """A link on a shopper page (a recommendation), counted under `kind` before it goes to `target`."""
    token = _serializer().dumps({"s": shop_id, "o": order_id, "k": kind, "u": target})
    return f"{current_app.config['APP_URL']}/r/{token}"


def open_pixel_url(message_id: int) -> str:
    return f"{current_app.config['APP_URL']}/o/{_serializer().dumps({'m': message_id})}.gif"


def read(token: str) -> dict[str, Any] | None:
    """What a signed engagement token holds, or None for anything we did not sign."""
    try:
        data = _serializer().loads(token)
    except BadSignature:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("u", ""), str):
        return None
    return data if isinstance(data.get("m"), int) or isinstance(data.get("s"), int) else None


def record(kind: str, shop_id: int, order_id: int | None = None, message_id: int | None = None) -> None:
    """One row; committed by the caller's request (a failure to count never blocks the shopper)."""
    db.session.add(Engagement(shop_id=shop_id, order_id=order_id, message_id=message_id, kind=kind,
                              created_at=datetime.now(UTC)))


def summary(shop_id: int) -> dict[str, int]:
    """For the merchant: how many shoppers looked by themselves (orders seen on the page) and what emails did."""
    counts = {kind: 0 for kind in KINDS}
    for kind, n in db.session.execute(select(Engagement.kind, func.count()).where(Engagement.shop_id == shop_id)
                                      .group_by(Engagement.kind)):
        counts[str(kind)] = int(n)
    orders_seen = db.session.scalar(
        select(func.count(distinct(Engagement.order_id))).where(
            Engagement.shop_id == shop_id, Engagement.kind.in_(("page_view", "lookup"))))
    opened = db.session.scalar(
        select(func.count(distinct(Engagement.message_id))).where(
            Engagement.shop_id == shop_id, Engagement.kind == "open"))
    return {"email_opens": counts["open"], "emails_opened": int(opened or 0), "email_clicks": counts["click"],
            "tracking_page_views": counts["page_view"], "lookups": counts["lookup"],
            "recommendation_clicks": counts["recommendation"],
            "orders_tracked_by_shoppers": int(orders_seen or 0)}
