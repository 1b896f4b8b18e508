"""The embedded admin: App Bridge session tokens, managed install by token exchange, status API."""

from __future__ import annotations

import time
from typing import Any

import jwt
from sqlalchemy import select

from app.models import Shop
from tests.fake_shopify import SHOP, FakeShopify


def session_token(app: Any, shop: str = SHOP, **overrides: Any) -> str:
    now = int(time.time())
    claims = {"iss": f"https://{shop}/admin", "dest": f"https://{shop}", "aud": app.config["SHOPIFY_API_KEY"],
              "sub": "42", "exp": now + 60, "nbf": now - 5, "iat": now - 5, "jti": "abc", "sid": "s1"}
    claims.update(overrides)
    secret = overrides.pop("secret", None) or app.config["SHOPIFY_API_SECRET"]
    claims.pop("secret", None)
    return jwt.encode(claims, secret, algorithm="HS256")


def without(app: Any, claim: str) -> str:
    claims = jwt.decode(session_token(app), options={"verify_signature": False})
    del claims[claim]
    return jwt.encode(claims, app.config["SHOPIFY_API_SECRET"], algorithm="HS256")


def test_first_open_inside_shopify_installs_by_token_exchange(app: Any, db: Any, client: Any,
                                                             fake_shopify: FakeShopify) -> None:
    resp = client.get("/shopify/install", query_string={"shop": SHOP, "embedded": "1",
                                                         "id_token": session_token(app)})
    assert resp.status_code == 200, resp.get_data(as_text=True)
    assert f"frame-ancestors https://{SHOP} https://admin.shopify.com" in resp.headers["Content-Security-Policy"]
    assert 'name="shopify-api-key" content="test-key"' in resp.get_data(as_text=True)
    grant = fake_shopify.requests[-1]
    assert grant["grant_type"] == "urn:ietf:params:oauth:grant-type:token-exchange"
    assert grant["requested_token_type"] == "urn:shopify:params:oauth:token-type:offline-access-token"
    shop = db.session.scalar(select(Shop).where(Shop.domain == SHOP))
    assert shop.access_token_enc and shop.refresh_token_enc
    # A later visit uses the stored token: no second exchange.
    client.get("/shopify/install", query_string={"shop": SHOP, "id_token": session_token(app)})
    assert len(fake_shopify.requests) == 1


def test_bad_session_tokens_are_refused_and_change_nothing(app: Any, db: Any, client: Any,
                                                          fake_shopify: FakeShopify) -> None:
    now = int(time.time())
    bad = {
        "expired": session_token(app, exp=now - 120),
        "not yet valid": session_token(app, nbf=now + 120),
        "another app": session_token(app, aud="someone-else"),
        "forged": session_token(app, secret="shpss_ffffffffffffffffffffffffffffffff"),
        "shop mismatch": session_token(app, dest="https://otra.myshopify.com"),
        "not a shop": session_token(app, shop="evil.com"),
        "garbage": "not.a.jwt",
        "no expiry": without(app, "exp"),
        "no session id": without(app, "sid"),
    }
    for name, token in bad.items():
        resp = client.get("/shopify/install", query_string={"shop": SHOP, "id_token": token})
        assert resp.status_code == 401, name
        api = client.get("/api/v1/shop", headers={"Authorization": f"Bearer {token}"})
        assert api.status_code == 401, name
        assert "error" in api.get_json()
        if name in ("expired", "shop mismatch", "no expiry"):
            assert {"expired": "session token expired", "shop mismatch": "does not match its issuer",
                    "no expiry": "it has no expiry"}[name] in api.get_json()["error"], name
    assert fake_shopify.requests == [] and db.session.scalar(select(Shop)) is None


def test_status_api_for_the_embedded_admin(app: Any, db: Any, client: Any, fake_shopify: FakeShopify,
                                           post_shopify: Any) -> None:
    assert client.get("/api/v1/shop").status_code == 401
    assert client.get("/api/v1/shop", headers={"Authorization": f"Bearer {session_token(app)}"}).status_code == 404
    client.get("/shopify/install", query_string={"shop": SHOP, "id_token": session_token(app)})
    status = client.get("/api/v1/shop", headers={"Authorization": f"Bearer {session_token(app)}"}).get_json()
    assert status["shop"] == SHOP and status["orders"] == 0 and status["installed_at"]
