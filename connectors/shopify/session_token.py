"""App Bridge session tokens: the embedded admin's proof of which shop (and user) is asking."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

import jwt

from connectors.shopify.oauth import SHOP_DOMAIN, OAuthError

LEEWAY_SECONDS = 10  # clocks differ a little between Shopify and us


@dataclass(frozen=True)
class SessionToken:
    shop: str
    user_id: str | None
    raw: str


def verify_session_token(token: str, api_key: str, secret: str) -> SessionToken:
    """HS256 with the app secret, aud = our client id, exp/nbf checked, iss and dest on the same shop."""
    if not token or not api_key or not secret:
        raise OAuthError("missing session token")
    try:
        claims = jwt.decode(token, secret, algorithms=["HS256"], audience=api_key, leeway=LEEWAY_SECONDS,
                            options={"require": ["exp", "nbf", "iss", "dest", "aud"]})
    except jwt.ExpiredSignatureError:
        raise OAuthError("session token expired") from None
    except jwt.PyJWTError as exc:
        raise OAuthError(f"invalid session token: {exc}") from None
    dest = urlsplit(str(claims["dest"])).hostname or ""
    iss = urlsplit(str(claims["iss"])).hostname or ""
    if not SHOP_DOMAIN.match(dest) or dest != iss:
        raise OAuthError("session token shop does not match its issuer")
    sub = claims.get("sub")
    return SessionToken(dest.lower(), str(sub) if sub is not None else None, token)
