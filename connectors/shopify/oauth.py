"""Shopify's OAuth install: query HMACs, the authorize URL, and the code-for-token exchange."""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import requests

SHOP_DOMAIN = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9-]*\.myshopify\.com$")
# What the app reads and writes: orders (refunds and order metafields are order writes), fulfillments for tracking,
# returns, customers, products (return rules, exchange choices), gift cards (store credit; Shopify must approve this
# scope for the app) and draft orders (exchanges). A write scope includes its read scope.
SCOPES = ("write_orders", "read_fulfillments", "write_fulfillments", "read_merchant_managed_fulfillment_orders",
          "read_returns", "write_returns", "read_customers", "read_products", "write_gift_cards",
          "write_draft_orders")
MAX_AGE = timedelta(hours=24)


class OAuthError(ValueError):
    """An install or callback request that must be refused, with a message saying why."""


@dataclass(frozen=True)
class Tokens:
    access_token: str
    scope: str
    expires_at: datetime | None
    refresh_token: str | None
    refresh_expires_at: datetime | None


def query_message(pairs: Iterable[tuple[str, str]]) -> str:
    """The string Shopify signs: every parameter but hmac/signature, sorted, as k=v joined by &."""
    grouped: dict[str, list[str]] = {}
    for key, value in pairs:
        if key in ("hmac", "signature"):
            continue
        grouped.setdefault(key, []).append(value)
    parts = []
    for key in sorted(grouped):
        values = grouped[key]
        if key.endswith("[]"):
            parts.append(f"{key[:-2]}=[" + ", ".join(f'"{v}"' for v in values) + "]")
        else:
            parts.append(f"{key}={','.join(values)}")
    return "&".join(parts)


def query_hmac(pairs: Iterable[tuple[str, str]], secret: str) -> str:
    return hmac.new(secret.encode(), query_message(pairs).encode(), hashlib.sha256).hexdigest()


def verify_query(pairs: list[tuple[str, str]], secret: str, now: datetime | None = None) -> str:
    """Check a request Shopify signed (install, callback); returns the shop domain."""
    params = dict(pairs)
    given = params.get("hmac", "")
    if not given or not secret:
        raise OAuthError("missing hmac")
    if not hmac.compare_digest(query_hmac(pairs, secret), given.lower()):
        raise OAuthError("hmac does not match")
    return signed_shop(params, MAX_AGE, now)


def signed_shop(params: Mapping[str, str], max_age: timedelta, now: datetime | None = None) -> str:
    """After the signature: the shop must be a myshopify.com domain and the timestamp recent."""
    shop = params.get("shop", "").lower()
    if not SHOP_DOMAIN.match(shop):
        raise OAuthError("shop must be a name.myshopify.com domain")
    try:
        signed_at = datetime.fromtimestamp(int(params.get("timestamp", "")), UTC)
    except (ValueError, OverflowError, OSError):
        raise OAuthError("missing or malformed timestamp") from None
    if abs((now or datetime.now(UTC)) - signed_at) > max_age:
        raise OAuthError("request is too old")
    return shop


def authorize_url(shop: str, api_key: str, redirect_uri: str, state: str, base_url: str | None = None) -> str:
    query = urlencode({"client_id": api_key, "scope": ",".join(SCOPES), "redirect_uri": redirect_uri,
                       "state": state})
    return f"{base_url or f'https://{shop}'}/admin/oauth/authorize?{query}"


def tokens_from_response(data: Mapping[str, Any], now: datetime) -> Tokens:
    """The token endpoint's JSON (expiring offline token with its refresh token) as Tokens."""
    token = data.get("access_token")
    if not isinstance(token, str) or not token:
        raise OAuthError("token response has no access_token")

    def after(key: str) -> datetime | None:
        seconds = data.get(key)
        return now + timedelta(seconds=int(seconds)) if isinstance(seconds, int | float) else None

    refresh = data.get("refresh_token")
    return Tokens(token, str(data.get("scope") or ""), after("expires_in"),
                  refresh if isinstance(refresh, str) and refresh else None, after("refresh_token_expires_in"))


class ShopifyAuthClient:
    """The code-for-token exchange over HTTPS (base_url points it at a local fake in tests)."""

    def __init__(self, api_key: str, secret: str, base_url: str | None = None, timeout: float = 15.0) -> None:
        self.api_key, self.secret, self.base_url, self.timeout = api_key, secret, base_url, timeout

    def exchange_code(self, shop: str, code: str) -> Tokens:
        return self._token(shop, {"code": code, "expiring": "1"})

    def exchange_session_token(self, shop: str, session_token: str) -> Tokens:
        """Managed install: the embedded admin's session token for an expiring offline access token."""
        return self._token(shop, {
            "grant_type": "urn:ietf:params:oauth:grant-type:token-exchange",
            "subject_token": session_token,
            "subject_token_type": "urn:ietf:params:oauth:token-type:id_token",
            "requested_token_type": "urn:shopify:params:oauth:token-type:offline-access-token",
            "expiring": "1",
        })

    def refresh(self, shop: str, refresh_token: str) -> Tokens:
        """A new access token (and refresh token) before the old one expires."""
        return self._token(shop, {"grant_type": "refresh_token", "refresh_token": refresh_token})

    def _token(self, shop: str, grant: Mapping[str, str]) -> Tokens:
        url = f"{self.base_url or f'https://{shop}'}/admin/oauth/access_token"
        body = {"client_id": self.api_key, "client_secret": self.secret, **grant}
        try:
            resp = requests.post(url, json=body, timeout=self.timeout, headers={"Accept": "application/json"})
        except requests.RequestException as exc:
            raise OAuthError(f"could not reach {shop}: {type(exc).__name__}") from exc
        if resp.status_code != 200:
            raise OAuthError(f"{shop} refused the grant ({resp.status_code})")
        try:
            data = resp.json()
        except ValueError:
            raise OAuthError(f"{shop} answered with something that is not JSON") from None
        if not isinstance(data, dict):
            raise OAuthError("token response is not an object")
        return tokens_from_response(data, datetime.now(UTC))
