"""The admin inside Shopify admin: authenticated by App Bridge session tokens, no cookies needed."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify, render_template, request
from sqlalchemy import select

from app.extensions import db
from app.models import Shop
from app.queue import RETRY, queue
from app.services import installs
from app.services.status import shop_status
from connectors.shopify.oauth import OAuthError
from connectors.shopify.session_token import SessionToken, verify_session_token

bp = Blueprint("embedded", __name__)


def session_from(token: str) -> SessionToken:
    cfg = current_app.config
    return verify_session_token(token, cfg["SHOPIFY_API_KEY"], cfg["SHOPIFY_API_SECRET"])


def embedded_home(id_token: str) -> tuple[str, int, dict[str, str]]:
    """App home inside Shopify admin: install through token exchange if needed, then show the status."""
    try:
        session = session_from(id_token)
        shop, fresh = installs.install_from_session(id_token, session.shop)
    except OAuthError as exc:
        return render_template("error.html", code=401, message=f"Shopify session refused: {exc}."), 401, {}
    if fresh:
        queue().enqueue("jobs.shopify.after_install", shop.id, retry=RETRY, description=f"install {shop.domain}")
    headers = {"Content-Security-Policy": f"frame-ancestors https://{shop.domain} https://admin.shopify.com;"}
    html = render_template("embedded_home.html", status=shop_status(shop),
                           api_key=current_app.config["SHOPIFY_API_KEY"])
    return html, 200, headers


@bp.get("/api/v1/shop")
def api_shop() -> tuple[Response, int]:
    """The shop's status for the embedded admin; `Authorization: Bearer <session token>`."""
    auth = request.headers.get("Authorization", "")
    if not auth.startswith("Bearer "):
        return jsonify(error="missing Authorization: Bearer <session token>"), 401
    try:
        session = session_from(auth.removeprefix("Bearer ").strip())
    except OAuthError as exc:
        return jsonify(error=str(exc)), 401
    shop = db.session.scalar(select(Shop).where(Shop.platform == "shopify", Shop.domain == session.shop))
    if shop is None:
        return jsonify(error="shop is not installed; open the app from Shopify admin"), 404
    return jsonify(shop_status(shop)), 200
