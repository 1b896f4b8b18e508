"""Shopper pages on the store's own domain, through the Shopify App Proxy (/apps/<name>/... -> /proxy/...)."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, g, request
from sqlalchemy import select
from werkzeug.wrappers import Response

from app.blueprints import returns
from app.blueprints.shopper import handle_lookup, lookup_limited, render_tracking
from app.extensions import db
from app.models import Shop
from connectors.shopify.app_proxy import verify_proxy
from connectors.shopify.oauth import OAuthError

bp = Blueprint("proxy", __name__, url_prefix="/proxy")


@bp.before_request
def _verify() -> None:
    """Only requests Shopify signed for a shop we serve; the pages then stay within that shop."""
    try:
        domain, prefix = verify_proxy(list(request.args.items(multi=True)), current_app.config["SHOPIFY_API_SECRET"])
    except OAuthError as exc:
        abort(401, description=str(exc))
    shop = db.session.scalar(select(Shop).where(Shop.platform == "shopify", Shop.domain == domain))
    if shop is None or shop.uninstalled_at is not None:
        abort(404, description="This store does not use Postventa.")
    g.proxy_prefix, g.proxy_shop_id = prefix, shop.id


@bp.get("/t/<token>")
def tracking(token: str) -> str:
    return render_tracking(token, shop_id=g.proxy_shop_id)


@bp.route("/track", methods=["GET", "POST"])
@lookup_limited
def lookup() -> str | Response:
    return handle_lookup(shop_id=g.proxy_shop_id)


@bp.route("/returns", methods=["GET", "POST"])
@lookup_limited
def returns_lookup() -> str | Response:
    return returns.lookup_page(_proxied_shop())


@bp.route("/returns/o/<token>", methods=["GET", "POST"])
def returns_order(token: str) -> str | Response:
    return returns.order_page(_proxied_shop(), token)


@bp.get("/returns/r/<token>")
def returns_status(token: str) -> str:
    return returns.status_page(_proxied_shop(), token)


@bp.get("/returns/r/<token>/label.pdf")
def returns_label(token: str) -> Response:
    return returns.label_download(_proxied_shop(), token)


def _proxied_shop() -> Shop:
    shop = db.session.get(Shop, g.proxy_shop_id)
    assert shop is not None
    return shop
