"""Inbound platform webhooks: verify, store, acknowledge; the work happens in jobs."""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from functools import lru_cache

import psycopg
from flask import Blueprint, Flask, Response, current_app, jsonify, request
from sqlalchemy.exc import DBAPIError

from app.crypto import decrypt
from app.json_body import is_json_object, json_object
from app.models import Shop
from app.services.group_commit import StoreTimeout
from app.services.ingest import Stored, store_event
from app.services.shops import find_shop
from connectors.base import NormalizeError, get_connector
from connectors.shopify import COMPLIANCE_TOPICS
from connectors.woocommerce import event_key, is_ping

bp = Blueprint("webhooks", __name__)
log = logging.getLogger(__name__)


def _error(status: int, message: str) -> tuple[Response, int]:
    return jsonify(error=message), status


Answer = tuple[int, dict[str, str]]


def ingest_shopify(header: Callable[[str], str | None], body: bytes, secret: str, app: Flask | None = None) -> Answer:
    """Everything POST /webhooks/shopify does, on the raw body and headers, so the WSGI fast path can call it."""
    connector = get_connector("shopify")
    if not connector.verify_webhook(body, header("X-Shopify-Hmac-Sha256"), secret):
        return 401, {"error": "invalid or missing X-Shopify-Hmac-Sha256"}
    topic = (header("X-Shopify-Topic") or "").strip()
    domain = (header("X-Shopify-Shop-Domain") or "").strip().lower()
    event_id = (header("X-Shopify-Event-Id") or header("X-Shopify-Webhook-Id") or "").strip()
    if not event_id and topic in COMPLIANCE_TOPICS:
        # A privacy request must never be refused for a missing id: its content identifies it.
        event_id = f"sha256:{hashlib.sha256(topic.encode() + b' ' + body).hexdigest()}"
    if not topic or not domain or not event_id:
        return 400, {"error": "missing X-Shopify-Topic, X-Shopify-Shop-Domain or X-Shopify-Event-Id header"}
    if topic not in connector.topics:
        return 400, {"error": f"unsupported topic: {topic[:100]}"}
    if len(event_id) > 255:
        return 400, {"error": "X-Shopify-Event-Id is too long"}
    try:
        text = body.decode("utf-8")
        is_object = is_json_object(body)
    except (UnicodeDecodeError, ValueError):
        return 400, {"error": "body is not valid JSON"}
    if not is_object:
        return 400, {"error": "body must be a JSON object"}
    try:
        stored = store_event("shopify", domain, event_id, topic, text, app)
    except (DBAPIError, psycopg.Error, StoreTimeout):
        log.exception("webhook %s from %s not stored", event_id, domain)
        # Shopify retries a non-2xx delivery, so nothing is lost by saying so.
        return 503, {"error": "the webhook could not be stored right now; please retry"}
    if stored is Stored.UNKNOWN_SHOP:
        return 404, {"error": f"unknown shop: {domain[:255]}"}
    return 200, {"status": stored.value}


@bp.post("/webhooks/shopify")
def shopify() -> tuple[Response, int]:
    """Reached only without the fast path in front (see app/fast_ingest.py); the same answers either way."""
    status, answer = ingest_shopify(request.headers.get, request.get_data(cache=False),
                                    current_app.config["SHOPIFY_API_SECRET"])
    return jsonify(answer), status


@bp.post("/webhooks/woocommerce/<shop_ref>")
def woocommerce(shop_ref: str) -> tuple[Response, int]:
    """A store's webhook delivery (or its unsigned activation ping); `shop_ref` is the id `shops create` printed."""
    body = request.get_data(cache=False)
    shop = _woo_shop(shop_ref)
    if shop is None or shop.webhook_secret_enc is None:
        return _error(404, f"unknown WooCommerce shop: {shop_ref[:100]}")
    signature = request.headers.get("X-WC-Webhook-Signature")
    # Any content type: WordPress posts the ping's string body without one, and other setups may add one.
    if not signature and is_ping(None, body) is not None:
        # WooCommerce activates a new webhook only if this unsigned ping gets a 200; nothing to store.
        return jsonify(status="pong"), 200
    connector = get_connector("woocommerce")
    if not connector.verify_webhook(body, signature, _secret(shop.webhook_secret_enc)):
        return _error(401, "invalid or missing X-WC-Webhook-Signature")
    topic = request.headers.get("X-WC-Webhook-Topic", "").strip().lower()
    if not topic:
        return _error(400, "missing X-WC-Webhook-Topic header")
    if topic not in connector.topics:
        return _error(400, f"unsupported topic: {topic[:100]}")
    try:
        text = body.decode("utf-8")
        payload = json.loads(text)
    except (UnicodeDecodeError, ValueError):
        return _error(400, "body is not valid JSON")
    if not isinstance(payload, dict):
        return _error(400, "body must be a JSON object")
    event_id = event_key(topic, payload, body, request.headers.get("X-WC-Webhook-Delivery-ID"))
    try:
        stored = store_event("woocommerce", shop.domain, event_id, topic, text)
    except (DBAPIError, psycopg.Error, StoreTimeout):
        log.exception("webhook %s from %s not stored", event_id, shop.domain)
        # WooCommerce will not retry; reconciliation re-reads the order, so it is late, not lost.
        return _error(503, "the webhook could not be stored right now")
    if stored is Stored.UNKNOWN_SHOP:
        return _error(404, f"unknown WooCommerce shop: {shop_ref[:100]}")
    return jsonify(status=stored.value), 200


def _woo_shop(ref: str) -> Shop | None:
    """By id (what `shops create` prints and our webhooks use), or by the store's address for hand-made webhooks."""
    shop = find_shop(ref)
    return shop if shop is not None and shop.platform == "woocommerce" else None


@lru_cache(maxsize=1024)
def _secret(encrypted: str) -> str:
    """Decrypting once per secret keeps Fernet off the hot path (a changed secret is a new cache key)."""
    return decrypt(encrypted)


@bp.post("/webhooks/tracking/<provider_name>")
def tracking_provider(provider_name: str) -> tuple[Response, int]:
    """A tracking provider pushing a tracker's news; applied at once (it retries anything but a 2xx)."""
    from app.services import tracking

    secret = current_app.config["TRACKING_WEBHOOK_SECRETS"].get(provider_name)
    if not secret or provider_name not in current_app.config["TRACKING_PROVIDER_KEYS"]:
        return _error(404, f"no tracking provider {provider_name[:40]!r} is configured here")
    body = request.get_data(cache=False)
    client = tracking.provider(provider_name)
    if not client.verify_webhook(body, dict(request.headers), secret):
        return _error(401, "invalid or missing webhook signature")
    try:
        payload = json_object(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return _error(400, "body is not valid JSON")
    if payload is None:
        return _error(400, "body must be a JSON object")
    try:
        found = client.parse_webhook(payload)
    except NormalizeError as exc:
        return _error(400, f"not a tracking update: {exc}")
    try:
        updated = tracking.apply_pushed(found)
    except (DBAPIError, psycopg.Error):
        log.exception("tracking update for %s not applied", found.tracking_number)
        return _error(503, "the update could not be stored right now; please retry")
    return jsonify(status="applied", shipments=updated), 200
