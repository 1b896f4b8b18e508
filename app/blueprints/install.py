"""The Shopify install: app URL -> Shopify's consent screen -> callback with a code -> stored tokens."""

from __future__ import annotations

from flask import Blueprint, current_app, redirect, render_template, request
from werkzeug.wrappers import Response

from app.blueprints.embedded import embedded_home
from app.queue import RETRY, queue
from app.services import installs
from connectors.shopify.oauth import OAuthError, ShopifyAuthClient, authorize_url, verify_query

bp = Blueprint("install", __name__)


def _refuse(message: str, status: int = 400) -> tuple[str, int]:
    return render_template("error.html", code=status, message=message), status


@bp.get("/shopify/install")
def start() -> Response | tuple[str, int] | tuple[str, int, dict[str, str]]:
    cfg = current_app.config
    if not cfg["SHOPIFY_API_KEY"]:
        return _refuse("This Postventa server has no SHOPIFY_API_KEY configured.", 503)
    if request.args.get("id_token"):  # opened inside Shopify admin (managed install or a later visit)
        return embedded_home(request.args["id_token"])
    try:
        shop = verify_query(list(request.args.items(multi=True)), cfg["SHOPIFY_API_SECRET"])
    except OAuthError as exc:
        return _refuse(f"Install request refused: {exc}.")
    state = installs.new_state(shop)
    url = authorize_url(shop, cfg["SHOPIFY_API_KEY"], f"{cfg['APP_URL']}/shopify/callback", state,
                        cfg.get("SHOPIFY_BASE_URL"))
    return redirect(url, 302)


@bp.get("/shopify/callback")
def callback() -> tuple[str, int]:
    cfg = current_app.config
    try:
        shop = verify_query(list(request.args.items(multi=True)), cfg["SHOPIFY_API_SECRET"])
        code = request.args.get("code", "")
        if not code:
            raise OAuthError("missing code")
        installs.consume_state(request.args.get("state", ""), shop)
    except OAuthError as exc:
        return _refuse(f"Install callback refused: {exc}.")
    client = ShopifyAuthClient(cfg["SHOPIFY_API_KEY"], cfg["SHOPIFY_API_SECRET"], cfg.get("SHOPIFY_BASE_URL"))
    try:
        tokens = client.exchange_code(shop, code)
    except OAuthError as exc:
        return _refuse(f"Shopify did not give us access: {exc}. Please try installing again.", 502)
    saved = installs.save_install(shop, tokens)
    queue().enqueue("jobs.shopify.after_install", saved.id, retry=RETRY, description=f"install {shop}")
    return render_template("installed.html", shop=saved), 200
