"""WooClient through the real `woocommerce` library against a fake store over loopback HTTP."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from connectors.base import NotSupported, RefundRequest
from connectors.model import Money
from connectors.woocommerce.client import WooApiError, WooAuthError, WooClient
from tests.fake_woocommerce import CONSUMER_KEY, CONSUMER_SECRET, EPOCH, FakeWooCommerce, make_orders

DELIVERY = "https://postventa.example/webhooks/woocommerce/7"


def woo(fake: FakeWooCommerce, sleeps: list[float] | None = None, key: str = CONSUMER_KEY,
        secret: str = CONSUMER_SECRET, **kwargs: Any) -> WooClient:
    """A client on the fake: loopback and plain http are allowed here only."""
    record = sleeps if sleeps is not None else []
    return WooClient(fake.url, key, secret, allow_private=True, allow_http=True, sleep=record.append, **kwargs)


def test_pages_walk_in_id_order_after_modified_after(fake_woocommerce: FakeWooCommerce) -> None:
    fake_woocommerce.add_orders(make_orders(250, first_id=1001, start=EPOCH, step=timedelta(hours=1)))
    client = woo(fake_woocommerce)
    madrid = timezone(timedelta(hours=1))
    since = (EPOCH + timedelta(hours=19, minutes=30)).astimezone(madrid)  # any timezone: sent as UTC

    pages, page_no = [], 1
    while True:
        page = client.orders_page(page_no, per_page=100, modified_after=since)
        pages.append(page)
        if not page.has_next:
            break
        page_no += 1

    assert [len(p.orders) for p in pages] == [100, 100, 30]
    assert {(p.total, p.total_pages) for p in pages} == {(230, 3)}
    ids = [o["id"] for p in pages for o in p.orders]
    assert ids == list(range(1021, 1251))  # modified strictly after 19:30 → from the 21st order on, in id order
    first = pages[0].orders[0]
    assert first["number"] == "1021" and first["line_items"] and first["date_modified_gmt"] == "2026-10-02T04:00:00"
    sent = fake_woocommerce.calls("GET", "^wc/v3/orders$")
    assert [r["params"]["page"] for r in sent] == ["1", "2", "3"]
    assert sent[0]["params"] | {"page": "1"} == {"page": "1", "per_page": "100", "orderby": "id", "order": "asc",
                                                  "modified_after": "2026-10-02T03:30:00", "dates_are_gmt": "true"}
    assert {r["auth"] for r in sent} == {"oauth"}  # signed OAuth 1.0a over http, verified by the fake


def test_without_modified_after_every_order_is_listed(fake_woocommerce: FakeWooCommerce) -> None:
    fake_woocommerce.add_orders(make_orders(250))
    client = woo(fake_woocommerce)
    last = client.orders_page(3)
    assert (last.total, last.total_pages, len(last.orders), last.has_next) == (250, 3, 50, False)
    assert client.orders_page(4).orders == []  # past the end: an empty page, as WooCommerce answers


def test_the_fake_also_takes_basic_auth_and_links_pages(fake_woocommerce: FakeWooCommerce) -> None:
    """What a client over https sends (the woocommerce library switches to Basic auth there)."""
    fake_woocommerce.add_orders(make_orders(25))
    url = f"{fake_woocommerce.url}/wp-json/wc/v3/orders"
    resp = requests.get(url, params={"page": 2, "per_page": 10}, auth=(CONSUMER_KEY, CONSUMER_SECRET), timeout=10)
    assert resp.status_code == 200 and len(resp.json()) == 10
    assert (resp.headers["X-WP-Total"], resp.headers["X-WP-TotalPages"]) == ("25", "3")
    assert resp.headers["Link"] == (f'<{url}?page=1&per_page=10>; rel="prev", <{url}?page=3&per_page=10>; rel="next"')
    wrong = requests.get(url, auth=(CONSUMER_KEY, "cs_wrong"), timeout=10)
    assert wrong.status_code == 401 and wrong.json()["message"] == "Consumer secret is invalid."
    anonymous = requests.get(url, timeout=10)
    assert anonymous.status_code == 401 and anonymous.json()["code"] == "woocommerce_rest_cannot_view"


def test_per_page_above_100_is_refused_like_wordpress(fake_woocommerce: FakeWooCommerce) -> None:
    with pytest.raises(WooApiError) as caught:
        woo(fake_woocommerce).orders_page(1, per_page=101)
    assert (caught.value.status, caught.value.code) == (400, "rest_invalid_param")
    assert "per_page" in str(caught.value)


def test_a_5xx_is_retried_with_the_stores_retry_after(fake_woocommerce: FakeWooCommerce) -> None:
    fake_woocommerce.add_orders(make_orders(3))
    fake_woocommerce.inject("GET", r"/wc/v3/orders$", status=503, headers={"Retry-After": "7"}, times=2)
    sleeps: list[float] = []
    page = woo(fake_woocommerce, sleeps).orders_page(1)
    assert [o["id"] for o in page.orders] == [1001, 1002, 1003]
    assert sleeps == [7.0, 7.0]
    assert len(fake_woocommerce.calls("GET", "^wc/v3/orders$")) == 3


def test_retries_are_bounded(fake_woocommerce: FakeWooCommerce) -> None:
    fake_woocommerce.inject("GET", r"/wc/v3/orders$", status=502, times=99)
    fake_woocommerce.inject("GET", r"/wc/v3/orders/1$", status=429, headers={"Retry-After": "3600"}, times=99)
    sleeps: list[float] = []
    with pytest.raises(WooApiError) as caught:
        woo(fake_woocommerce, sleeps, max_attempts=3).orders_page(1)
    assert caught.value.status == 502 and "internal_server_error" in str(caught.value)
    assert sleeps == [1.0, 2.0]  # exponential backoff when the store gives no Retry-After
    sleeps.clear()
    with pytest.raises(WooApiError) as throttled:
        woo(fake_woocommerce, sleeps, max_attempts=3).order("1")
    assert throttled.value.status == 429 and sleeps == [60.0, 60.0]  # an hour's Retry-After is capped


def test_connection_errors_are_retried_then_reported(fake_woocommerce: FakeWooCommerce) -> None:
    dead = woo(fake_woocommerce)
    port = urlsplit(fake_woocommerce.url).port
    dead.wc.url = dead.wc.url.replace(f":{port}", ":9")  # discard port: nothing listens there
    sleeps: list[float] = []
    dead.sleep = sleeps.append
    with pytest.raises(WooApiError) as caught:
        dead.orders_page(1)
    assert "could not reach" in str(caught.value) and caught.value.status is None
    assert "oauth_" not in str(caught.value)  # the signed query stays out of logs
    assert len(sleeps) == 3  # never connected, so even a POST could have been retried


def test_a_post_is_not_repeated_after_a_5xx(fake_woocommerce: FakeWooCommerce) -> None:
    fake_woocommerce.add_orders(make_orders(1))
    fake_woocommerce.inject("POST", r"/refunds$", status=502)
    sleeps: list[float] = []
    with pytest.raises(WooApiError) as caught:
        woo(fake_woocommerce, sleeps).create_refund("1001", amount=Decimal("5.00"), reason="x", line_items=[],
                                                    api_refund=False, restock=False)
    assert caught.value.status == 502 and sleeps == []
    assert len(fake_woocommerce.calls("POST")) == 1


def test_a_429_on_a_post_is_retried(fake_woocommerce: FakeWooCommerce) -> None:
    fake_woocommerce.add_orders(make_orders(1))
    fake_woocommerce.inject("POST", r"/refunds$", status=429, headers={"Retry-After": "2"})
    sleeps: list[float] = []
    refund = woo(fake_woocommerce, sleeps).create_refund("1001", amount=Decimal("5.00"), reason="x", line_items=[],
                                                         api_refund=False, restock=False)
    assert refund["amount"] == "5.00" and sleeps == [2.0]
    assert len(fake_woocommerce.refunds[1001]) == 1


def test_wrong_keys_are_an_auth_error(fake_woocommerce: FakeWooCommerce) -> None:
    with pytest.raises(WooAuthError) as bad_secret:
        woo(fake_woocommerce, secret="cs_" + "0" * 40).orders_page(1)
    assert bad_secret.value.status == 401 and bad_secret.value.code == "woocommerce_rest_authentication_error"
    assert "Invalid signature - provided signature does not match." in str(bad_secret.value)
    with pytest.raises(WooAuthError) as bad_key:
        woo(fake_woocommerce, key="ck_" + "0" * 40).orders_page(1)
    assert "Consumer key is invalid." in str(bad_key.value)
    assert len(fake_woocommerce.calls("GET")) == 2  # an auth error is not retried


def test_a_read_only_key_cannot_write(fake_woocommerce: FakeWooCommerce) -> None:
    fake_woocommerce.keys["ck_" + "1" * 40] = {"key_id": 9, "secret": "cs_" + "1" * 40, "permissions": "read",
                                               "user_id": 1}
    client = woo(fake_woocommerce, key="ck_" + "1" * 40, secret="cs_" + "1" * 40)
    assert client.webhooks() == []
    with pytest.raises(WooAuthError, match="does not have write permissions"):
        client.create_webhook("x", "order.created", DELIVERY, "s")


def test_a_non_json_200_says_what_is_in_the_way(fake_woocommerce: FakeWooCommerce) -> None:
    page = "<!DOCTYPE html><html><body><h1>Your access to this site has been limited</h1></body></html>"
    fake_woocommerce.inject("GET", r"/wc/v3/orders$", status=200, body=page, content_type="text/html")
    with pytest.raises(WooApiError) as caught:
        woo(fake_woocommerce).orders_page(1)
    message = str(caught.value)
    assert caught.value.status == 200 and "not JSON (text/html" in message and "security plugin" in message


def test_unknown_order_and_unknown_route(fake_woocommerce: FakeWooCommerce) -> None:
    client = woo(fake_woocommerce)
    with pytest.raises(WooApiError) as caught:
        client.order("999999")
    assert (caught.value.status, caught.value.code) == (404, "woocommerce_rest_shop_order_invalid_id")
    assert "Invalid ID." in str(caught.value)
    with pytest.raises(WooApiError) as no_route:
        client.request(client.wc, "GET", "no-such-thing")
    assert no_route.value.code == "rest_no_route"
    with pytest.raises(ValueError, match="not a WooCommerce id"):
        client.order("12/../../users")


def test_an_order_by_id_and_a_store_in_a_subdirectory(fake_woocommerce: FakeWooCommerce) -> None:
    fake_woocommerce.add_orders(make_orders(2))
    client = WooClient(fake_woocommerce.url + "/tienda/", CONSUMER_KEY, CONSUMER_SECRET, allow_private=True,
                       allow_http=True)
    assert client.store_url == fake_woocommerce.url + "/tienda"
    assert client.order("1002")["billing"]["email"] == "cliente1002@example.com"
    assert fake_woocommerce.requests[-1]["path"] == "/tienda/wp-json/wc/v3/orders/1002"


# -- webhooks ---------------------------------------------------------------------------------------------


def test_ensure_webhooks_is_idempotent(fake_woocommerce: FakeWooCommerce) -> None:
    fake = fake_woocommerce
    created = fake.add_webhook("order.created", DELIVERY, secret="old")
    updated = fake.add_webhook("order.updated", DELIVERY, secret="old")
    fake.fail_deliveries(updated["id"], 5)  # WooCommerce disables after 5 failed deliveries
    foreign = fake.add_webhook("order.updated", "https://other-app.example/hook", secret="theirs")
    first_deleted = fake.add_webhook("order.deleted", DELIVERY, status="paused")
    second_deleted = fake.add_webhook("order.deleted", DELIVERY)
    assert fake.webhooks[updated["id"]]["status"] == "disabled"
    client = woo(fake)

    result = client.ensure_webhooks(DELIVERY, "new-secret")

    assert [w["topic"] for w in result] == ["order.created", "order.updated", "order.deleted", "order.restored"]
    assert {w["status"] for w in result} == {"active"}
    ours = [h for h in fake.webhooks.values() if h["delivery_url"] == DELIVERY]
    assert sorted(h["topic"] for h in ours) == ["order.created", "order.deleted", "order.restored", "order.updated"]
    assert fake.webhooks[updated["id"]]["status"] == "active"
    assert fake.webhooks[updated["id"]]["secret"] == "new-secret"  # re-activated with our secret
    assert fake.webhooks[created["id"]]["secret"] == "old"  # an active one is left alone
    assert first_deleted["id"] not in fake.webhooks and second_deleted["id"] in fake.webhooks  # the active one kept
    restored = next(h for h in ours if h["topic"] == "order.restored")
    assert (restored["secret"], restored["api_version"], restored["name"]) == (
        "new-secret", "wp_api_v3", "Postventa order.restored")
    assert fake.webhooks[foreign["id"]]["status"] == "active" and len(fake.webhooks) == 5
    assert [p["url"] for p in fake.pings] == [DELIVERY]  # WooCommerce pings the new one

    writes_before = len([r for r in fake.requests if r["method"] != "GET"])
    again = client.ensure_webhooks(DELIVERY, "new-secret")
    assert [w["id"] for w in again] == [w["id"] for w in result]
    assert len([r for r in fake.requests if r["method"] != "GET"]) == writes_before  # nothing to do the second time
    assert len(fake.webhooks) == 5


def test_webhooks_are_listed_across_pages(fake_woocommerce: FakeWooCommerce) -> None:
    for n in range(130):
        fake_woocommerce.add_webhook("order.updated", f"https://hooks.example/{n}")
    client = woo(fake_woocommerce)
    assert len({w["id"] for w in client.webhooks()}) == 130
    assert [r["params"]["page"] for r in fake_woocommerce.calls("GET", "^wc/v3/webhooks$")] == ["1", "2"]
    deleted = client.delete_webhook(client.webhooks()[0]["id"])
    assert deleted["id"] not in fake_woocommerce.webhooks
    paused = client.update_webhook(client.webhooks()[0]["id"], status="paused")
    assert paused["status"] == "paused" and "secret" not in paused  # WooCommerce never returns the secret


# -- tracking plugins -------------------------------------------------------------------------------------


def test_tracking_goes_through_shipment_tracking_when_installed(fake_woocommerce: FakeWooCommerce) -> None:
    fake_woocommerce.add_orders(make_orders(1))
    client = woo(fake_woocommerce)
    added = client.add_tracking("1001", "PQ4F6P0703673180128000P", "Correos Express",
                                "https://s.correosexpress.com/c?n=PQ4F6P0703673180128000P", date(2026, 11, 21))
    assert added["tracking_provider"] == "Correos Express" and added["date_shipped"] == "2026-11-21"
    posted = fake_woocommerce.calls("POST")[0]
    assert posted["route"] == "wc-shipment-tracking/v3/orders/1001/shipment-trackings"
    assert posted["json"] == {"tracking_number": "PQ4F6P0703673180128000P",
                              "custom_tracking_provider": "Correos Express",
                              "custom_tracking_link": "https://s.correosexpress.com/c?n=PQ4F6P0703673180128000P",
                              "date_shipped": "2026-11-21"}
    known = client.add_tracking("1001", "9400111899223344556677", "USPS", None, None)
    assert known["tracking_link"].endswith("9400111899223344556677")  # the plugin knows USPS's link
    assert [t["tracking_number"] for t in client.trackings("1001")] == [
        "PQ4F6P0703673180128000P", "9400111899223344556677"]


def test_tracking_falls_back_to_advanced_shipment_tracking(fake_woocommerce: FakeWooCommerce) -> None:
    fake_woocommerce.add_orders(make_orders(1))
    fake_woocommerce.shipment_tracking, fake_woocommerce.ast = False, True
    client = woo(fake_woocommerce)
    assert client.trackings("1001") == []
    added = client.add_tracking("1001", "1Z999AA10123456784", "UPS", None, date(2026, 11, 22))
    assert added["tracking_number"] == "1Z999AA10123456784"
    posted = fake_woocommerce.calls("POST")
    assert [p["route"] for p in posted] == ["wc-ast/v3/orders/1001/shipment-trackings"]  # ST already known missing
    assert posted[0]["json"] == {"tracking_number": "1Z999AA10123456784", "tracking_provider": "UPS",
                                 "date_shipped": "2026-11-22", "status_shipped": 0, "replace_tracking": 0}
    assert fake_woocommerce.orders[1001]["status"] == "processing"  # status_shipped 0: order status untouched
    assert [t["tracking_number"] for t in client.trackings("1001")] == ["1Z999AA10123456784"]
    fresh = woo(fake_woocommerce)  # a client that has not probed yet tries ST first, then AST
    fresh.add_tracking("1001", "1Z999AA10123456785", "UPS", None, None)
    assert [p["route"].split("/")[0] for p in fake_woocommerce.calls("POST")[1:]] == [
        "wc-shipment-tracking", "wc-ast"]
    with pytest.raises(WooApiError, match="Special character"):  # AST's own rule, surfaced as Woo said it
        fresh.add_tracking("1001", "1Z-999/AA", "UPS", None, None)


def test_without_a_tracking_plugin_add_tracking_is_not_supported(fake_woocommerce: FakeWooCommerce) -> None:
    fake_woocommerce.add_orders(make_orders(1))
    fake_woocommerce.shipment_tracking = fake_woocommerce.ast = False
    client = woo(fake_woocommerce)
    assert client.trackings("1001") == []
    with pytest.raises(NotSupported) as caught:
        client.add_tracking("1001", "1Z999AA10123456784", "UPS", None, None)
    assert "Shipment Tracking" in str(caught.value) and "Advanced Shipment Tracking" in str(caught.value)
    assert woo(fake_woocommerce).trackings("1001") == []
    with pytest.raises(NotSupported):
        woo(fake_woocommerce).add_tracking("1001", "1Z999AA10123456784", "UPS", None, None)


# -- refunds ----------------------------------------------------------------------------------------------


def refund_request(order: dict[str, Any], key: str, **kwargs: Any) -> RefundRequest:
    line = str(order["line_items"][0]["id"])
    return RefundRequest(order_external_id=str(order["id"]), lines=((line, 1),), idempotency_key=key,
                         note="Devolución RMA-7", **kwargs)


def test_refund_once_refunds_once_per_key(fake_woocommerce: FakeWooCommerce) -> None:
    order = make_orders(1)[0]
    fake_woocommerce.add_orders([order])
    line = str(order["line_items"][0]["id"])
    client = woo(fake_woocommerce)
    request = refund_request(order, "return-7-refund")

    first = client.refund_once("1001", request, {line: Decimal("30.00")}, "EUR")
    again = client.refund_once("1001", request, {line: Decimal("30.00")}, "EUR")

    assert (first.amount, first.already_done) == (Money(Decimal("30.00"), "EUR"), False)
    assert (again.external_id, again.amount, again.already_done) == (first.external_id, first.amount, True)
    assert len(fake_woocommerce.refunds[1001]) == 1 and len(fake_woocommerce.calls("POST")) == 1
    body = fake_woocommerce.calls("POST")[0]["json"]
    assert body == {"amount": "30.00", "reason": "Devolución RMA-7 [postventa:return-7-refund]", "api_refund": True,
                    "api_restock": True, "line_items": [{"id": int(line), "quantity": 1, "refund_total": "30.00",
                                                         "refund_tax": []}]}
    assert fake_woocommerce.restocked == [(1001, int(line), 1)]
    assert fake_woocommerce.orders[1001]["refunds"][0]["total"] == "-30.00"


def test_an_explicit_amount_is_spread_over_the_lines(fake_woocommerce: FakeWooCommerce) -> None:
    order = make_orders(1)[0]
    fake_woocommerce.add_orders([order])
    a, b = (str(item["id"]) for item in order["line_items"][:2])
    request = RefundRequest("1001", ((a, 1), (b, 2)), "partial-1", amount=Money(Decimal("10.00"), "EUR"),
                            restock=False)
    result = woo(fake_woocommerce).refund_once("1001", request, {a: Decimal("20.00"), b: Decimal("10.00")}, "EUR")
    assert result.amount == Money(Decimal("10.00"), "EUR")
    body = fake_woocommerce.calls("POST")[0]["json"]
    assert [li["refund_total"] for li in body["line_items"]] == ["5.00", "5.00"] and body["api_restock"] is False
    assert fake_woocommerce.restocked == []


def test_a_refund_whose_answer_was_lost_is_found_not_repeated(fake_woocommerce: FakeWooCommerce) -> None:
    order = make_orders(1)[0]
    fake_woocommerce.add_orders([order])
    line = str(order["line_items"][0]["id"])
    fake_woocommerce.inject("POST", r"/refunds$", status=504, body="<html>Gateway Timeout</html>",
                            content_type="text/html", after=True)  # made, then the proxy gave up
    result = woo(fake_woocommerce).refund_once("1001", refund_request(order, "k-504"), {line: Decimal("12.50")}, "EUR")
    assert result.amount == Money(Decimal("12.50"), "EUR") and not result.already_done
    assert len(fake_woocommerce.refunds[1001]) == 1 and len(fake_woocommerce.calls("POST")) == 1


def test_a_refund_above_what_is_left_is_woos_error(fake_woocommerce: FakeWooCommerce) -> None:
    order = make_orders(1)[0]
    fake_woocommerce.add_orders([order])
    line = str(order["line_items"][0]["id"])
    request = refund_request(order, "too-much", amount=Money(Decimal("1000.00"), "EUR"))
    with pytest.raises(WooApiError) as caught:
        woo(fake_woocommerce).refund_once("1001", request, {line: Decimal("30.00")}, "EUR")
    assert (caught.value.status, caught.value.code) == (500, "woocommerce_rest_cannot_create_order_refund")
    assert "Invalid refund amount." in str(caught.value)
    assert fake_woocommerce.refunds.get(1001, []) == []
    with pytest.raises(ValueError, match="USD"):
        woo(fake_woocommerce).refund_once("1001", refund_request(order, "k", amount=Money(Decimal("1"), "USD")),
                                          {line: Decimal("30.00")}, "EUR")


# -- key authorisation (wc-auth) --------------------------------------------------------------------------


@contextmanager
def receiver(status: int = 200) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """A tiny callback endpoint on loopback that keeps what WooCommerce posts to it."""
    received: list[dict[str, Any]] = []

    def app(environ: Any, start_response: Any) -> Any:
        req = Request(environ)
        received.append({"content_type": req.mimetype, "body": json.loads(req.get_data())})
        return Response("ok" if status == 200 else "nope", status)(environ, start_response)

    server = make_server("127.0.0.1", 0, app)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/woocommerce/callback", received
    finally:
        server.shutdown()
        server.server_close()


def authorize_url(fake: FakeWooCommerce, callback: str) -> str:
    query = {"app_name": "Postventa", "scope": "read_write", "user_id": "shop-42",
             "return_url": "https://postventa.example/woocommerce/connected?state=abc", "callback_url": callback}
    return f"{fake.url}/wc-auth/v1/authorize?{urlencode(query)}"


def test_wc_auth_posts_keys_to_the_callback_then_returns(fake_woocommerce: FakeWooCommerce) -> None:
    with receiver() as (callback, received):
        resp = requests.get(authorize_url(fake_woocommerce, callback), allow_redirects=False, timeout=10)
    assert resp.status_code == 302
    back = urlsplit(resp.headers["Location"])
    assert back.netloc == "postventa.example" and back.path == "/woocommerce/connected"
    assert parse_qs(back.query) == {"state": ["abc"], "success": ["1"], "user_id": ["shop-42"]}
    [posted] = received
    assert posted["content_type"] == "application/json"
    keys = posted["body"]
    assert set(keys) == {"key_id", "user_id", "consumer_key", "consumer_secret", "key_permissions"}
    assert keys["user_id"] == "shop-42" and keys["key_permissions"] == "read_write" and keys["key_id"] == 2
    assert re.fullmatch(r"ck_[0-9a-f]{40}", keys["consumer_key"])
    assert re.fullmatch(r"cs_[0-9a-f]{40}", keys["consumer_secret"])
    client = woo(fake_woocommerce, key=keys["consumer_key"], secret=keys["consumer_secret"])
    assert client.orders_page(1).total == 0  # the issued keys work


def test_wc_auth_drops_the_key_when_the_callback_fails(fake_woocommerce: FakeWooCommerce) -> None:
    with receiver(status=500) as (callback, received):
        resp = requests.get(authorize_url(fake_woocommerce, callback), allow_redirects=False, timeout=10)
    assert resp.status_code == 401 and "unable to send the consumer data" in resp.text
    keys = received[0]["body"]
    with pytest.raises(WooAuthError, match="Consumer key is invalid."):
        woo(fake_woocommerce, key=keys["consumer_key"], secret=keys["consumer_secret"]).orders_page(1)
    fake_woocommerce.approve = False  # the merchant clicks Deny
    denied = requests.get(authorize_url(fake_woocommerce, callback), allow_redirects=False, timeout=10)
    assert denied.status_code == 302 and "success=0" in denied.headers["Location"]


def test_wc_auth_validates_like_woocommerce(fake_woocommerce: FakeWooCommerce) -> None:
    fake_woocommerce.require_https_callback = True
    resp = requests.get(authorize_url(fake_woocommerce, "http://127.0.0.1:1/cb"), allow_redirects=False, timeout=10)
    assert resp.status_code == 401 and "The callback_url needs to be over SSL" in resp.text
    bad = requests.get(f"{fake_woocommerce.url}/wc-auth/v1/authorize?app_name=P&scope=admin&user_id=1"
                       "&return_url=https://a.example&callback_url=https://b.example", timeout=10)
    assert bad.status_code == 401 and "Invalid scope admin" in bad.text


def test_naive_modified_after_is_refused() -> None:
    client = WooClient("https://93.184.216.34", CONSUMER_KEY, CONSUMER_SECRET)
    with pytest.raises(ValueError, match="timezone-aware"):
        client.orders_page(1, modified_after=datetime(2026, 11, 1))
