"""Connecting WooCommerce stores (wc-auth keys or keys typed in), and calling them with what we stored."""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any
from urllib.parse import urlencode

from flask import current_app
from sqlalchemy import select

from app.crypto import decrypt, encrypt
from app.extensions import db
from app.i18n import LANGUAGES
from app.models import Shop, WooConnection
from app.services.backfill import OrdersPage, PageFetch
from app.services.reconcile import reapply, window_start
from connectors.model import Order
from connectors.woocommerce.client import WooClient
from connectors.woocommerce.normalize import FULFILLMENTS_KEY, TRACKING_META_KEY, normalize_order
from connectors.woocommerce.urls import check_store_url

CONNECTION_TTL = timedelta(hours=1)  # how long a "Connect WooCommerce" attempt waits for the store's keys
PAGE_SIZE = 100


class ConnectError(ValueError):
    """A connection attempt that must be refused, with a message for the merchant."""


@dataclass(frozen=True)
class Credentials:
    consumer_key: str
    consumer_secret: str
    key_id: str | None = None


def insecure_allowed() -> bool:
    """http:// and private addresses only where the operator said so (a local WordPress in development)."""
    return bool(current_app.config["WOOCOMMERCE_ALLOW_INSECURE"])


def checked_url(raw: str) -> str:
    """The normalised store URL, refused unless https and public (outside development)."""
    return check_store_url(raw, allow_http=insecure_allowed(), allow_private=insecure_allowed())


def webhook_url(shop: Shop) -> str:
    return f"{current_app.config['APP_URL']}/webhooks/woocommerce/{shop.id}"


def start_connection(raw_url: str, lang: str | None = None) -> str:
    """Remember a pending connection under a random user_id; returns the store's key-authorisation URL."""
    store_url = checked_url(raw_url)
    user_id = secrets.token_urlsafe(32)
    db.session.add(WooConnection(user_id=user_id, store_url=store_url))
    db.session.commit()
    app_url = current_app.config["APP_URL"]
    back = {"lang": lang} if lang in LANGUAGES else {}  # the merchant comes back to the language they chose
    query = urlencode({
        "app_name": "Postventa",
        "scope": "read_write",
        "user_id": user_id,
        "return_url": f"{app_url}/woocommerce/return?{urlencode({'connection': user_id, **back})}",
        "callback_url": f"{app_url}/woocommerce/keys",
    })
    return f"{store_url}/wc-auth/v1/authorize?{query}"


def receive_keys(body: Any) -> Shop:
    """The store POSTs the keys it made for us; they count only for a pending, recent connection."""
    if not isinstance(body, dict):
        raise ConnectError("expected a JSON object with key_id, user_id, consumer_key, consumer_secret")
    fields = {k: body.get(k) for k in ("user_id", "consumer_key", "consumer_secret", "key_permissions")}
    if not all(isinstance(v, str) and v for v in fields.values()):
        raise ConnectError("user_id, consumer_key, consumer_secret and key_permissions are required strings")
    if fields["key_permissions"] != "read_write":
        raise ConnectError("Postventa needs read_write keys (to add tracking and refunds)")
    if not (str(fields["consumer_key"]).startswith("ck_") and str(fields["consumer_secret"]).startswith("cs_")):
        raise ConnectError("consumer_key must start with ck_ and consumer_secret with cs_")
    connection = db.session.scalar(
        select(WooConnection).where(WooConnection.user_id == fields["user_id"]).with_for_update())
    now = datetime.now(UTC)
    if connection is None or connection.used_at is not None or connection.created_at < now - CONNECTION_TTL:
        raise ConnectError("unknown or expired connection; start again from Connect WooCommerce")
    key_id = body.get("key_id")
    shop = save_credentials(connection.store_url, Credentials(
        str(fields["consumer_key"]), str(fields["consumer_secret"]), str(key_id) if key_id is not None else None))
    connection.used_at, connection.shop_id = now, shop.id
    db.session.commit()
    return shop


def connection_shop(user_id: str) -> Shop | None:
    """The shop a finished connection made (None while the keys have not arrived)."""
    connection = db.session.get(WooConnection, user_id)
    if connection is None or connection.shop_id is None:
        return None
    return db.session.get(Shop, connection.shop_id)


def connect_with_keys(raw_url: str, consumer_key: str, consumer_secret: str) -> Shop:
    """Manual fallback: keys typed in are tried against the store before they are kept."""
    store_url = checked_url(raw_url)
    creds = Credentials(consumer_key.strip(), consumer_secret.strip())
    if not creds.consumer_key.startswith("ck_") or not creds.consumer_secret.startswith("cs_"):
        raise ConnectError("A WooCommerce consumer key starts with ck_ and its secret with cs_.")
    _client(store_url, creds).orders_page(1, per_page=1)  # WooAuthError / WooApiError say what is wrong
    shop = save_credentials(store_url, creds)
    db.session.commit()
    return shop


def save_credentials(store_url: str, creds: Credentials, name: str | None = None) -> Shop:
    """Create or re-connect the store's shop with fresh keys; it keeps (or gets) its own webhook secret."""
    shop = db.session.scalar(
        select(Shop).where(Shop.platform == "woocommerce", Shop.domain == store_url).with_for_update())
    now = datetime.now(UTC)
    if shop is None:
        label = name or store_url.split("://")[-1].split("/")[0].split(".")[0].replace("-", " ").title()
        shop = Shop(platform="woocommerce", domain=store_url, name=label, settings={})
        db.session.add(shop)
    shop.store_url = store_url
    shop.credentials_enc = encrypt(json.dumps(
        {"consumer_key": creds.consumer_key, "consumer_secret": creds.consumer_secret, "key_id": creds.key_id}))
    if shop.webhook_secret_enc is None:
        shop.webhook_secret_enc = encrypt(secrets.token_urlsafe(32))
    shop.installed_at = shop.installed_at if shop.uninstalled_at is None and shop.installed_at else now
    shop.uninstalled_at = None
    shop.settings = {k: v for k, v in (shop.settings or {}).items() if k != "disconnected"}
    db.session.flush()
    return shop


def credentials(shop: Shop) -> Credentials:
    if shop.credentials_enc is None:
        raise ConnectError(f"{shop.domain} has no REST API keys; connect it from /woocommerce/connect")
    data = json.loads(decrypt(shop.credentials_enc))
    return Credentials(data["consumer_key"], data["consumer_secret"], data.get("key_id"))


def _client(store_url: str, creds: Credentials) -> WooClient:
    insecure = insecure_allowed()
    return WooClient(store_url, creds.consumer_key, creds.consumer_secret, allow_http=insecure,
                     allow_private=insecure)


def client_for(shop: Shop) -> WooClient:
    return _client(shop.store_url or shop.domain, credentials(shop))


def after_connect(shop: Shop) -> list[dict[str, Any]]:
    """Our webhooks on the store (idempotent), pointing at this server with the shop's own secret."""
    assert shop.webhook_secret_enc is not None
    return client_for(shop).ensure_webhooks(webhook_url(shop), decrypt(shop.webhook_secret_enc))


def with_tracking(client: WooClient, raw: dict[str, Any]) -> dict[str, Any]:
    """A completed order without tracking in its meta: ask the tracking plugin, then core fulfillments."""
    if raw.get("status") != "completed" or any(
            isinstance(m, dict) and m.get("key") == TRACKING_META_KEY for m in raw.get("meta_data") or ()):
        return raw
    order_id = str(raw.get("id", ""))
    if not order_id.isdigit():
        return raw  # the normaliser says what is wrong with it
    trackings = client.trackings(order_id)
    if trackings:
        return {**raw, "meta_data": [*(raw.get("meta_data") or ()), {"key": TRACKING_META_KEY, "value": trackings}]}
    fulfillments = client.fulfillments(order_id)
    return {**raw, FULFILLMENTS_KEY: fulfillments} if fulfillments else raw


def page_fetch(shop: Shop, modified_after: datetime) -> PageFetch:
    """Pages of the store's orders modified since then; the cursor is the next page number."""
    client = client_for(shop)

    def fetch(cursor: str | None) -> OrdersPage:
        page_no = int(cursor or 1)
        page = client.orders_page(page_no, per_page=PAGE_SIZE, modified_after=modified_after)
        orders = [partial(_normalized, client, raw) for raw in page.orders]
        return OrdersPage(orders, str(page_no + 1), page.has_next, page.total)

    return fetch


def _normalized(client: WooClient, raw: dict[str, Any]) -> Order:
    return normalize_order(with_tracking(client, raw))


def reconcile(shop: Shop) -> int:
    """WooCommerce never retries a webhook: re-read modified orders and put back any webhook it disabled."""
    started = datetime.now(UTC)
    client = client_for(shop)
    assert shop.webhook_secret_enc is not None
    client.ensure_webhooks(webhook_url(shop), decrypt(shop.webhook_secret_enc))
    return reapply(shop, page_fetch(shop, window_start(shop, started)), started)


def disconnect(shop: Shop, reason: str) -> None:
    """Forget keys the store no longer accepts, saying why; the shop's data stays."""
    shop.credentials_enc = None
    shop.settings = {**(shop.settings or {}), "disconnected": {"at": datetime.now(UTC).isoformat(),
                                                               "reason": reason[:500]}}
    db.session.commit()
