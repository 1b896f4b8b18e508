"""The Shopify install against a local fake of Shopify's OAuth endpoints, over real HTTP."""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from app.crypto import decrypt
from app.models import Shop
from connectors.shopify.oauth import query_hmac, query_message
from tests.fake_shopify import FakeShopify

SHOP = "tienda-nueva.myshopify.com"


def signed(app: Any, **params: str) -> dict[str, str]:
    params.setdefault("timestamp", str(int(time.time())))
    params["hmac"] = query_hmac(list(params.items()), app.config["SHOPIFY_API_SECRET"])
    return params


def test_known_hmac_vector() -> None:
    pairs = [("code", "0907a61c0c8d55e99db179b68161bc00"), ("shop", "some-shop.myshopify.com"),
             ("state", "0.6784241404160823"), ("timestamp", "1337178173"), ("hmac", "ignored")]
    assert query_message(pairs) == ("code=0907a61c0c8d55e99db179b68161bc00&shop=some-shop.myshopify.com"
                                    "&state=0.6784241404160823&timestamp=1337178173")
    assert query_hmac(pairs, "hush") == "700e2dadb827fcc8609e9d5ce208b2e9cdaab9df07390d2cbca10d7c328fc4bf"


def start_install(app: Any, client: Any) -> str:
    resp = client.get("/shopify/install", query_string=signed(app, shop=SHOP, host="YWRtaW4uc2hvcGlmeS5jb20"))
    assert resp.status_code == 302
    url = urlsplit(resp.headers["Location"])
    query = parse_qs(url.query)
    assert url.path == "/admin/oauth/authorize"
    assert query["client_id"] == ["test-key"]
    assert query["redirect_uri"] == ["http://shop.test/shopify/callback"]
    assert {"write_orders", "write_returns"} <= set(query["scope"][0].split(","))
    return query["state"][0]


def test_install_end_to_end_stores_encrypted_expiring_tokens(app: Any, db: Any, client: Any,
                                                            fake_shopify: FakeShopify) -> None:
    state = start_install(app, client)
    resp = client.get("/shopify/callback", query_string=signed(app, shop=SHOP, code="good-code", state=state))
    assert resp.status_code == 200, resp.get_data(as_text=True)
    assert fake_shopify.requests[0]["expiring"] == "1"  # an expiring offline token, with a refresh token
    shop = db.session.scalar(select(Shop).where(Shop.domain == SHOP))
    assert shop.access_token_enc and "shpat_" not in shop.access_token_enc  # encrypted at rest
    assert decrypt(shop.access_token_enc) == "shpat_0123456789abcdef"
    assert decrypt(shop.refresh_token_enc) == "shprt_fedcba9876543210"
    assert shop.access_token_expires_at is not None and shop.installed_at is not None
    # The same callback again (a replay) is refused and changes nothing.
    again = client.get("/shopify/callback", query_string=signed(app, shop=SHOP, code="good-code", state=state))
    assert again.status_code == 400 and "already used" in again.get_data(as_text=True)
    assert len(fake_shopify.requests) == 1


def test_bad_install_requests_are_refused(app: Any, db: Any, client: Any, fake_shopify: FakeShopify) -> None:
    good = signed(app, shop=SHOP)
    forged = {**good, "hmac": "0" * 64}
    old = signed(app, shop=SHOP, timestamp=str(int(time.time()) - 3 * 86400))
    evil = signed(app, shop="evil.com")
    for params, words in ((forged, "hmac"), (old, "too old"), (evil, "myshopify.com"), ({"shop": SHOP}, "hmac")):
        resp = client.get("/shopify/install", query_string=params)
        assert resp.status_code == 400, params
        assert words in resp.get_data(as_text=True)
    assert db.session.scalar(select(Shop)) is None


def test_forged_or_mismatched_callbacks_change_nothing(app: Any, db: Any, client: Any,
                                                      fake_shopify: FakeShopify) -> None:
    state = start_install(app, client)
    other_shop = signed(app, shop="otra.myshopify.com", code="good-code", state=state)
    unknown_state = signed(app, shop=SHOP, code="good-code", state="made-up")
    bad_hmac = {**signed(app, shop=SHOP, code="good-code", state=state), "hmac": "f" * 64}
    for params in (other_shop, unknown_state, bad_hmac):
        assert client.get("/shopify/callback", query_string=params).status_code == 400
    assert fake_shopify.requests == [] and db.session.scalar(select(Shop)) is None


def test_code_refused_by_shopify_is_a_clear_error(app: Any, db: Any, client: Any,
                                                 fake_shopify: FakeShopify) -> None:
    state = start_install(app, client)
    resp = client.get("/shopify/callback", query_string=signed(app, shop=SHOP, code="stale-code", state=state))
    assert resp.status_code == 502
    assert "refused the grant" in resp.get_data(as_text=True)
    assert db.session.scalar(select(Shop)) is None


def test_reinstall_after_uninstall_reactivates_the_shop(app: Any, db: Any, client: Any,
                                                       fake_shopify: FakeShopify) -> None:
    from datetime import UTC, datetime

    from app.services.shops import create_shop

    shop = create_shop("shopify", SHOP).shop
    shop.uninstalled_at = datetime.now(UTC)
    db.session.commit()
    state = start_install(app, client)
    assert client.get("/shopify/callback",
                      query_string=signed(app, shop=SHOP, code="good-code", state=state)).status_code == 200
    db.session.expire_all()
    assert db.session.get(Shop, shop.id).uninstalled_at is None


def test_install_without_api_key_says_so(app: Any, client: Any) -> None:
    resp = client.get("/shopify/install", query_string=signed(app, shop=SHOP))
    assert resp.status_code == 503 and "SHOPIFY_API_KEY" in resp.get_data(as_text=True)


def test_after_install_subscribes_webhooks_once_through_a_throttled_api(app: Any, db: Any, client: Any,
                                                                      fake_shopify: FakeShopify) -> None:
    from jobs.context import set_app
    from jobs.shopify import after_install

    state = start_install(app, client)
    client.get("/shopify/callback", query_string=signed(app, shop=SHOP, code="good-code", state=state))
    shop = db.session.scalar(select(Shop).where(Shop.domain == SHOP))
    set_app(app)
    created = after_install(shop.id)
    assert "ORDERS_CREATE" not in created  # already subscribed to our URI
    assert set(created) == {"ORDERS_UPDATED", "ORDERS_CANCELLED", "FULFILLMENTS_CREATE", "FULFILLMENTS_UPDATE",
                            "FULFILLMENT_EVENTS_CREATE", "REFUNDS_CREATE", "RETURNS_REQUEST", "RETURNS_APPROVE",
                            "RETURNS_DECLINE", "RETURNS_CANCEL", "RETURNS_CLOSE", "RETURNS_REOPEN", "APP_UNINSTALLED"}
    assert after_install(shop.id) == []  # a re-run subscribes nothing twice
    ours = [s for s in fake_shopify.subscriptions if s["uri"] == "http://shop.test/webhooks/shopify"]
    assert len(ours) == 14


def test_an_expiring_token_is_refreshed_before_use(app: Any, db: Any, client: Any,
                                                  fake_shopify: FakeShopify) -> None:
    from datetime import UTC, datetime, timedelta

    from app.services.installs import access_token

    state = start_install(app, client)
    client.get("/shopify/callback", query_string=signed(app, shop=SHOP, code="good-code", state=state))
    shop = db.session.scalar(select(Shop).where(Shop.domain == SHOP))
    assert access_token(shop) == "shpat_0123456789abcdef"  # an hour left: used as it is
    shop.access_token_expires_at = datetime.now(UTC) + timedelta(minutes=2)
    db.session.commit()
    assert access_token(shop) == "shpat_refreshed"
    assert decrypt(shop.refresh_token_enc) == "shprt_rotated"
    assert shop.access_token_expires_at > datetime.now(UTC) + timedelta(minutes=50)


def test_uninstalled_shop_has_no_token(app: Any, db: Any) -> None:
    from datetime import UTC, datetime

    from app.services.installs import NotInstalled, access_token
    from app.services.shops import create_shop

    shop = create_shop("shopify", SHOP).shop
    shop.uninstalled_at = datetime.now(UTC)
    with pytest.raises(NotInstalled):
        access_token(shop)
