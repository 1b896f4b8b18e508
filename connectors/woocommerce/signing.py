"""WooCommerce webhook signatures, its unsigned activation ping, and a dedupe key per delivered change."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Mapping
from typing import Any

MAX_EVENT_KEY = 255  # the webhook events table's event_id column
_PING_BODY = re.compile(rb"webhook_id=(\d{1,19})")
_FORM = "application/x-www-form-urlencoded"


def sign_webhook(body: bytes, secret: str) -> str:
    """The X-WC-Webhook-Signature WooCommerce sends: base64 of HMAC-SHA256 over the raw body.

    (WooCommerce signs with wp_specialchars_decode(secret); a secret without HTML entities, such as
    the ones Postventa generates, is used unchanged.)
    """
    digest = hmac.new(secret.encode("utf-8"), body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def verify_webhook(body: bytes, signature: str | None, secret: str) -> bool:
    """True when the signature header matches the raw body; compared in constant time."""
    if not signature or not secret:
        return False
    expected = sign_webhook(body, secret).encode("ascii")
    # Bytes, so a header with non-ASCII junk is a mismatch rather than a TypeError.
    return hmac.compare_digest(expected, signature.strip().encode("utf-8", "replace"))


def is_ping(content_type: str | None, body: bytes) -> int | None:
    """The webhook id of WooCommerce's activation ping, else None.

    When a webhook is created or activated WooCommerce POSTs `webhook_id=<id>` form-encoded and
    unsigned, and only activates the webhook if that gets a 200. Real deliveries are JSON.
    """
    if content_type is not None:
        media_type = content_type.split(";", 1)[0].strip().lower()
        if media_type not in ("", _FORM):
            return None
    match = _PING_BODY.fullmatch(body.strip())
    return int(match.group(1)) if match else None


def event_key(topic: str, payload: Mapping[str, Any], body: bytes, delivery_id: str | None) -> str:
    """The key a delivery is stored (and deduplicated) under, at most 255 characters.

    X-WC-Webhook-Delivery-ID is wp_hash(webhook id . time()): two saves in the same second share it,
    so it cannot be the key. resource:id:date_modified_gmt:sha256(body)[:16] makes an identical
    redelivery collide and any change in content differ. A deletion's body is only {"id": N}, the same
    every time the order goes to the bin; the delivery id (per second) then tells a second deletion,
    after a restore, from the first, while the same delivery still collides.
    """
    resource = topic.split(".", 1)[0].strip().lower() or "unknown"
    data: Mapping[str, Any] = payload if isinstance(payload, Mapping) else {}
    digest = hashlib.sha256(body).hexdigest()[:16]
    resource_id = _part(data.get("id"))
    if topic.strip().lower().endswith(".deleted"):
        parts = [resource, resource_id, "deleted"]
        if delivery_id and delivery_id.strip():
            parts.append(_part(delivery_id))
    else:
        modified = data.get("date_modified_gmt")
        parts = [resource, resource_id, _part(modified if modified is not None else data.get("date_modified"))]
    key = ":".join([*parts, digest])
    if len(key) > MAX_EVENT_KEY:
        key = f"{resource[:32]}:{hashlib.sha256(key.encode('utf-8', 'replace')).hexdigest()}"
    return key


def _part(value: object) -> str:
    """One readable piece of the key; the body hash at the end is what guarantees uniqueness."""
    if value is None or isinstance(value, bool):
        return "-"
    text = str(value).strip()
    return text or "-"
