"""Signed links into the returns portal: one for an order's return form, one for a return's own page."""

from __future__ import annotations

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer

from app.models import Shop

_SALT = "postventa.returns.v1"


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=_SALT)


def returns_token(order_id: int) -> str:
    return str(_serializer().dumps({"o": order_id}))


def return_token(return_id: int) -> str:
    return str(_serializer().dumps({"r": return_id}))


def _read(token: str, key: str) -> int | None:
    try:
        data = _serializer().loads(token)
    except BadSignature:
        return None
    value = data.get(key) if isinstance(data, dict) else None
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def order_id_from_returns_token(token: str) -> int | None:
    return _read(token, "o")


def return_id_from_token(token: str) -> int | None:
    return _read(token, "r")


def shop_ref(shop: Shop) -> str:
    """A shop in portal paths: its myshopify.com domain, or a WooCommerce store's id (its URL has slashes)."""
    return shop.domain if shop.platform == "shopify" else str(shop.id)


def portal_order_url(shop: Shop, order_id: int) -> str:
    """The return form for an order, for emails and the tracking page."""
    return f"{current_app.config['APP_URL']}/returns/{shop_ref(shop)}/o/{returns_token(order_id)}"


def return_url(shop: Shop, return_id: int) -> str:
    return f"{current_app.config['APP_URL']}/returns/{shop_ref(shop)}/r/{return_token(return_id)}"
