"""App Bridge session tokens: the embedded admin's proof of which shop (and user) is asking."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

import jwt
from shopify import session_token as shopify_session_token

from connectors.shopify.oauth import SHOP_DOMAIN, OAuthError


@dataclass(frozen=True)
class SessionToken:
    shop: str
    user_id: str | None
    raw: str


def verify_session_token(token: str, api_key: str, secret: str) -> SessionToken:
    """Shopify's own check (HS256, aud, nbf/exp with leeway, iss and dest on one shop), plus: exp is required."""
    if not token or not api_key or not secret:
        raise OAuthError("missing session token")
    try:
        claims = shopify_session_token.decode_from_header(f"Bearer {token}", api_key, secret)
    except shopify_session_token.SessionTokenError as exc:
        cause = exc.__cause__
        if isinstance(cause, jwt.ExpiredSignatureError):
            raise OAuthError("session token expired") from None
        if isinstance(exc, shopify_session_token.MismatchedHostsError | shopify_session_token.InvalidIssuerError):
            raise OAuthError("session token shop does not match its issuer") from None
        raise OAuthError(f"invalid session token: {exc}") from None
    if "exp" not in claims:  # Shopify always sets one; a token without it would never expire
        raise OAuthError("invalid session token: it has no expiry")
    dest = (urlsplit(str(claims["dest"])).hostname or "").lower()
    if not SHOP_DOMAIN.match(dest):
        raise OAuthError("session token shop does not match its issuer")
    sub = claims.get("sub")
    return SessionToken(dest, str(sub) if sub is not None else None, token)
