"""Shopify App Proxy requests: the store's domain forwards /apps/... to us, signed."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable
from datetime import datetime, timedelta

from connectors.shopify.oauth import OAuthError, signed_shop

MAX_AGE = timedelta(hours=1)


def proxy_message(pairs: Iterable[tuple[str, str]]) -> str:
    """Every parameter but `signature`, sorted, as k=v (repeated keys' values joined by commas), no separator."""
    grouped: dict[str, list[str]] = {}
    for key, value in pairs:
        if key != "signature":
            grouped.setdefault(key, []).append(value)
    return "".join(f"{key}={','.join(grouped[key])}" for key in sorted(grouped))


def proxy_signature(pairs: Iterable[tuple[str, str]], secret: str) -> str:
    return hmac.new(secret.encode(), proxy_message(pairs).encode(), hashlib.sha256).hexdigest()


def verify_proxy(pairs: list[tuple[str, str]], secret: str, now: datetime | None = None) -> tuple[str, str]:
    """Check a proxied request; returns (shop domain, path prefix on the store, e.g. /apps/postventa)."""
    params = dict(pairs)
    given = params.get("signature", "")
    if not given or not secret or not hmac.compare_digest(proxy_signature(pairs, secret), given.lower()):
        raise OAuthError("App Proxy signature missing or wrong")
    shop = signed_shop(params, MAX_AGE, now)
    prefix = params.get("path_prefix", "")
    if not prefix.startswith("/apps/") or any(c in prefix for c in "?#\\\"'<> "):
        raise OAuthError("path_prefix must look like /apps/<name>")
    return shop, prefix.rstrip("/")
