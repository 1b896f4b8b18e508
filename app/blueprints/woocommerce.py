"""Connecting a WooCommerce store: the store's key authorisation (wc-auth), or keys typed in by hand."""

from __future__ import annotations

import logging

from flask import Blueprint, redirect, render_template, request
from werkzeug.wrappers import Response

from app.queue import RETRY, queue
from app.services import woocommerce
from connectors.woocommerce.client import WooApiError
from connectors.woocommerce.urls import StoreUrlError

bp = Blueprint("woocommerce", __name__, url_prefix="/woocommerce")
log = logging.getLogger(__name__)


def _form(error: str | None = None, status: int = 200, **values: str) -> tuple[str, int]:
    return render_template("woocommerce_connect.html", error=error, values=values), status


@bp.get("/connect")
def connect_form() -> tuple[str, int]:
    return _form()


@bp.post("/connect")
def connect() -> Response | tuple[str, int]:
    """With only a store URL: off to the store to approve keys. With keys too: check them and connect."""
    store_url = request.form.get("store_url", "")
    key = request.form.get("consumer_key", "").strip()
    secret = request.form.get("consumer_secret", "").strip()
    try:
        if not key and not secret:
            return redirect(woocommerce.start_connection(store_url, request.args.get("lang")), 302)
        shop = woocommerce.connect_with_keys(store_url, key, secret)
    except (StoreUrlError, woocommerce.ConnectError) as exc:
        return _form(str(exc), 400, store_url=store_url)
    except WooApiError as exc:
        return _form(f"The store refused those keys: {exc}", 400, store_url=store_url)
    queue().enqueue("jobs.woocommerce.after_connect", shop.id, retry=RETRY, description=f"connect {shop.domain}")
    return render_template("woocommerce_connected.html", shop=shop), 200


@bp.post("/keys")
def keys() -> tuple[str, int]:
    """WooCommerce POSTs the new keys here; anything but 200 makes it delete the keys and show an error."""
    try:
        shop = woocommerce.receive_keys(request.get_json(silent=True))
    except woocommerce.ConnectError as exc:
        return str(exc), 400
    queue().enqueue("jobs.woocommerce.after_connect", shop.id, retry=RETRY, description=f"connect {shop.domain}")
    return "", 200


@bp.get("/return")
def returned() -> tuple[str, int]:
    """Where the store sends the merchant back: approved (and the keys arrived), or not."""
    connection = request.args.get("connection", "")
    shop = woocommerce.connection_shop(connection) if connection else None
    if request.args.get("success") == "1" and shop is not None:
        return render_template("woocommerce_connected.html", shop=shop), 200
    if request.args.get("success") == "1":
        message = "The store approved the connection but its keys have not reached Postventa. Please try again."
    else:
        message = "The connection was not approved in WooCommerce. You can try again, or enter keys by hand."
    return _form(message, 400)
