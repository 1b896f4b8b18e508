"""Signed shopper links: unguessable, and valid as long as the order exists."""

from __future__ import annotations

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer

_SALT = "postventa.track.v1"


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=_SALT)


def tracking_token(order_id: int) -> str:
    return str(_serializer().dumps({"o": order_id}))


def order_id_from_token(token: str) -> int | None:
    """The order id a token was made for, or None if it was not made by us."""
    try:
        data = _serializer().loads(token)
    except BadSignature:
        return None
    value = data.get("o") if isinstance(data, dict) else None
    return value if isinstance(value, int) else None


def tracking_url(order_id: int) -> str:
    return f"{current_app.config['APP_URL']}/t/{tracking_token(order_id)}"
