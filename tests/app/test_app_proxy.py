"""Shopper pages on the store's domain through the Shopify App Proxy: signed, and kept to that shop."""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import select

from app.models import Order
from app.services.ingest import claim_pending, process_events
from app.services.links import tracking_token
from app.services.shops import create_shop
from connectors.shopify.app_proxy import proxy_message, proxy_signature
from tests.conftest import load_fixture


def test_documented_signature_vector() -> None:
    pairs = [("extra", "1"), ("extra", "2"), ("shop", "shop-name.myshopify.com"), ("logged_in_customer_id", "1"),
             ("path_prefix", "/apps/awesome_reviews"), ("timestamp", "1317327555")]
    assert proxy_message(pairs) == ("extra=1,2logged_in_customer_id=1path_prefix=/apps/awesome_reviews"
                                    "shop=shop-name.myshopify.comtimestamp=1317327555")
    assert proxy_signature(pairs, "hush") == "4c68c8624d737112c91818c11017d24d334b524cb5c2b8ba08daa056f7395ddb"


def proxied(app: Any, shop: str = "tienda-test.myshopify.com", **extra: str) -> dict[str, str]:
    params = {"shop": shop, "logged_in_customer_id": "", "path_prefix": "/apps/postventa",
              "timestamp": str(int(time.time())), **extra}
    params["signature"] = proxy_signature(list(params.items()), app.config["SHOPIFY_API_SECRET"])
    return params


def stored_order(db: Any, post_shopify: Any) -> Order:
    post_shopify("orders/create", load_fixture("shopify", "orders_create.json"), "e1")
    post_shopify("fulfillments/create", load_fixture("shopify", "fulfillments_create.json"), "e2")
    process_events(claim_pending(10))
    return db.session.scalar(select(Order))


def test_tracking_page_on_the_store_domain(app: Any, db: Any, shop: Any, client: Any, post_shopify: Any) -> None:
    order = stored_order(db, post_shopify)
    resp = client.get(f"/proxy/t/{tracking_token(order.id)}", query_string=proxied(app))
    page = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "#1001" in page and "PQ4F6P0703673180128000P" in page
    assert 'href="http://shop.test/static/style.css"' in page  # assets come from the app, not the store


def test_lookup_on_the_store_domain_redirects_under_the_proxy_prefix(app: Any, db: Any, shop: Any, client: Any,
                                                                    post_shopify: Any) -> None:
    order = stored_order(db, post_shopify)
    resp = client.post("/proxy/track", query_string=proxied(app),
                       data={"order": "1001", "email": "lucia.martin@example.com"})
    assert resp.status_code == 302
    assert resp.headers["Location"] == f"/apps/postventa/t/{tracking_token(order.id)}"


def test_another_stores_order_is_not_shown_on_this_store(app: Any, db: Any, shop: Any, client: Any,
                                                         post_shopify: Any) -> None:
    order = stored_order(db, post_shopify)
    create_shop("shopify", "otra-tienda.myshopify.com")
    other = proxied(app, shop="otra-tienda.myshopify.com")
    assert client.get(f"/proxy/t/{tracking_token(order.id)}", query_string=other).status_code == 404
    resp = client.post("/proxy/track", query_string=other, data={"order": "1001", "email": "lucia.martin@example.com"})
    assert resp.status_code == 200 and "could not find" in resp.get_data(as_text=True)


def test_unsigned_forged_or_stale_proxy_requests_are_refused(app: Any, db: Any, shop: Any, client: Any) -> None:
    good = proxied(app)
    cases = {
        "unsigned": {k: v for k, v in good.items() if k != "signature"},
        "forged": {**good, "shop": "otra.myshopify.com"},
        "stale": proxied(app, timestamp=str(int(time.time()) - 7200)),
        "bad prefix": proxied(app, path_prefix="javascript:alert(1)"),
    }
    for name, params in cases.items():
        resp = client.get("/proxy/track", query_string=params)
        assert resp.status_code == 401, name
        assert "Traceback" not in resp.get_data(as_text=True)
    assert client.get("/proxy/track", query_string=proxied(app, shop="nadie.myshopify.com")).status_code == 404


def test_returns_portal_on_the_store_domain(app: Any, db: Any, shop: Any, client: Any, post_shopify: Any) -> None:
    from app.services.return_links import returns_token

    order = stored_order(db, post_shopify)
    page = client.get("/proxy/returns", query_string=proxied(app))
    assert page.status_code == 200 and 'href="http://shop.test/static/style.css"' in page.get_data(as_text=True)
    found = client.post("/proxy/returns", query_string=proxied(app),
                        data={"order": "1001", "email": "lucia.martin@example.com"})
    assert found.status_code == 302  # Shopify signs every proxied request and strips cookies: no CSRF cookie here
    assert found.headers["Location"].startswith("/apps/postventa/returns/o/")
    form = client.get(found.headers["Location"].replace("/apps/postventa", "/proxy"), query_string=proxied(app))
    assert form.status_code == 200 and "#1001" in form.get_data(as_text=True)
    assert client.get(f"/proxy/returns/o/{returns_token(order.id)}").status_code == 401  # unsigned
    create_shop("shopify", "otra-tienda.myshopify.com", "Otra")
    other = client.get(f"/proxy/returns/o/{returns_token(order.id)}",
                       query_string=proxied(app, shop="otra-tienda.myshopify.com"))
    assert other.status_code == 404  # another store's order, even with a valid link
