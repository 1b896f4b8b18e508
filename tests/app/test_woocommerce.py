"""A WooCommerce store, end to end: connect (wc-auth or keys), webhooks, backfill, reconciliation."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from flask import Flask
from sqlalchemy import func, select
from werkzeug.serving import make_server

from app.models import Message, Order, Shipment, Shop, WebhookEvent, WooConnection
from app.services.woocommerce import Credentials, save_credentials
from connectors.woocommerce import sign_webhook
from tests.conftest import drain, load_fixture
from tests.fake_woocommerce import CONSUMER_KEY, CONSUMER_SECRET, EPOCH, FakeWooCommerce, make_orders, wc_order


@pytest.fixture
def live(app: Flask) -> Iterator[str]:
    """The app itself on loopback, for the store's server-to-server calls (keys callback, pings)."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    url = f"http://127.0.0.1:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    before = app.config["APP_URL"], app.config["WOOCOMMERCE_ALLOW_INSECURE"]
    app.config.update(APP_URL=url, WOOCOMMERCE_ALLOW_INSECURE=True)
    try:
        yield url
    finally:
        server.shutdown()
        app.config.update(APP_URL=before[0], WOOCOMMERCE_ALLOW_INSECURE=before[1])


@pytest.fixture
def woo_shop(db: Any, live: str, fake_woocommerce: FakeWooCommerce) -> Shop:
    shop = save_credentials(fake_woocommerce.url, Credentials(CONSUMER_KEY, CONSUMER_SECRET))
    db.session.commit()
    return shop


def post_woo(client: Any, shop: Shop, topic: str, payload: dict[str, Any] | bytes, secret: str | None = None,
             **headers: str) -> Any:
    from app.crypto import decrypt

    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    assert shop.webhook_secret_enc is not None
    signature = sign_webhook(body, secret or decrypt(shop.webhook_secret_enc))
    resource, _, event = topic.partition(".")
    return client.post(f"/webhooks/woocommerce/{shop.id}", data=body, headers={
        "Content-Type": "application/json", "X-WC-Webhook-Source": "https://tienda.example/",
        "X-WC-Webhook-Topic": topic, "X-WC-Webhook-Resource": resource, "X-WC-Webhook-Event": event,
        "X-WC-Webhook-Signature": signature, "X-WC-Webhook-ID": "12",
        "X-WC-Webhook-Delivery-ID": "4f1a0c9e2b7d", **headers})


def count(db: Any, model: Any, *where: Any) -> int:
    return int(db.session.scalar(select(func.count()).select_from(model).where(*where)))


def test_connect_through_the_stores_key_authorisation(app: Flask, db: Any, client: Any, live: str, smtp: Any,
                                                      fake_woocommerce: FakeWooCommerce) -> None:
    fake_woocommerce.deliver_pings = True  # the store pings each new webhook: our endpoint must say 200
    fake_woocommerce.add_orders(make_orders(3, start=datetime.now(UTC) - timedelta(days=2)))
    resp = client.post("/woocommerce/connect", data={"store_url": fake_woocommerce.url + "/wp-admin/"})
    assert resp.status_code == 302
    authorize = urlsplit(resp.headers["Location"])
    query = {k: v[0] for k, v in parse_qs(authorize.query).items()}
    assert authorize.path == "/wc-auth/v1/authorize"
    assert (query["app_name"], query["scope"], query["callback_url"]) == ("Postventa", "read_write",
                                                                         f"{live}/woocommerce/keys")
    assert len(query["user_id"]) >= 40  # unguessable
    # The merchant approves in wp-admin: the store POSTs the keys to us, then sends the merchant back.
    approved = requests.get(resp.headers["Location"], allow_redirects=False, timeout=30)
    assert approved.status_code == 302, approved.text
    assert fake_woocommerce.callbacks[0]["status"] == 200
    back = urlsplit(approved.headers["Location"])
    page = client.get(f"{back.path}?{back.query}")
    assert page.status_code == 200 and "is connected" in page.get_data(as_text=True)
    shop = db.session.scalar(select(Shop).where(Shop.platform == "woocommerce"))
    assert shop.domain == fake_woocommerce.url and shop.installed_at is not None
    assert shop.credentials_enc and "ck_" not in shop.credentials_enc  # encrypted at rest
    assert db.session.get(WooConnection, query["user_id"]).used_at is not None
    drain(app)
    hooks = sorted((h["topic"], h["status"], h["delivery_url"]) for h in fake_woocommerce.webhooks.values())
    assert hooks == [(t, "active", f"{live}/webhooks/woocommerce/{shop.id}")
                     for t in ("order.created", "order.deleted", "order.restored", "order.updated")]
    assert [p["status"] for p in fake_woocommerce.pings] == [200] * 4
    assert count(db, WebhookEvent) == 0  # a ping is answered, never stored
    assert count(db, Order, Order.shop_id == shop.id) == 3  # the backfill, silently
    assert smtp.messages == []


def test_keys_are_taken_only_for_a_pending_connection(db: Any, client: Any, live: str,
                                                      fake_woocommerce: FakeWooCommerce) -> None:
    resp = client.post("/woocommerce/connect", data={"store_url": fake_woocommerce.url})
    user_id = parse_qs(urlsplit(resp.headers["Location"]).query)["user_id"][0]
    keys = {"key_id": 7, "user_id": user_id, "consumer_key": "ck_" + "a" * 40, "consumer_secret": "cs_" + "b" * 40,
            "key_permissions": "read_write"}
    for bad, message in [
        ({**keys, "user_id": "guessed"}, "unknown or expired connection"),
        ({**keys, "key_permissions": "read"}, "needs read_write keys"),
        ({**keys, "consumer_key": None}, "required strings"),
        ("not json", "expected a JSON object"),
    ]:
        answer = client.post("/woocommerce/keys", data=bad if isinstance(bad, str) else json.dumps(bad),
                             content_type="application/json")
        assert answer.status_code == 400 and message in answer.get_data(as_text=True), message
    assert count(db, Shop) == 0
    assert client.post("/woocommerce/keys", json=keys).status_code == 200
    assert client.post("/woocommerce/keys", json=keys).status_code == 400  # replayed
    assert count(db, Shop) == 1


def test_connection_expires(db: Any, client: Any, live: str, fake_woocommerce: FakeWooCommerce) -> None:
    resp = client.post("/woocommerce/connect", data={"store_url": fake_woocommerce.url})
    user_id = parse_qs(urlsplit(resp.headers["Location"]).query)["user_id"][0]
    db.session.get(WooConnection, user_id).created_at = datetime.now(UTC) - timedelta(hours=2)
    db.session.commit()
    answer = client.post("/woocommerce/keys", json={"key_id": 1, "user_id": user_id, "consumer_key": "ck_1",
                                                    "consumer_secret": "cs_1", "key_permissions": "read_write"})
    assert answer.status_code == 400 and count(db, Shop) == 0


@pytest.mark.parametrize(("url", "message"), [
    ("http://tienda.example.com", "uses http://"),
    ("https://127.0.0.1", "loopback"),
    ("https://10.0.0.7", "private"),
    ("https://169.254.169.254", "169.254.169.254"),
    ("https://[::1]", "loopback"),
    ("https://localhost:8443", "localhost"),
    ("ftp://tienda.example.com", "https://"),
    ("", "Enter your store"),
])
def test_store_urls_that_would_reach_private_networks_are_refused(db: Any, client: Any, url: str,
                                                                  message: str) -> None:
    resp = client.post("/woocommerce/connect", data={"store_url": url})
    assert resp.status_code == 400
    assert message in resp.get_data(as_text=True)
    assert count(db, WooConnection) == 0 and count(db, Shop) == 0


def test_keys_typed_in_by_hand_are_checked_first(app: Flask, db: Any, client: Any, live: str,
                                                 fake_woocommerce: FakeWooCommerce) -> None:
    wrong = client.post("/woocommerce/connect", data={"store_url": fake_woocommerce.url,
                                                      "consumer_key": CONSUMER_KEY, "consumer_secret": "cs_wrong"})
    assert wrong.status_code == 400 and "refused those keys" in wrong.get_data(as_text=True)
    assert count(db, Shop) == 0
    ok = client.post("/woocommerce/connect", data={"store_url": fake_woocommerce.url,
                                                   "consumer_key": CONSUMER_KEY, "consumer_secret": CONSUMER_SECRET})
    assert ok.status_code == 200 and count(db, Shop) == 1
    drain(app)
    assert len(fake_woocommerce.webhooks) == 4


@pytest.fixture
def recorded_time(app: Flask) -> Iterator[None]:
    """The recorded shipments are weeks old by now; without scans they would (rightly) count as late or stuck."""
    keys = ("STUCK_AFTER_DAYS", "EXPIRE_AFTER_DAYS", "LATE_GRACE_HOURS")
    saved = {k: app.config[k] for k in keys}
    app.config.update(dict.fromkeys(keys, 100_000))
    yield
    app.config.update(saved)


def test_webhooks_become_orders_shipments_and_one_email(app: Flask, db: Any, client: Any, smtp: Any,
                                                        woo_shop: Shop, recorded_time: None) -> None:
    created = load_fixture("woocommerce", "order_created_processing.json")
    assert post_woo(client, woo_shop, "order.created", created).status_code == 200
    shipped = load_fixture("woocommerce", "order_updated_completed_tracking.json")
    assert post_woo(client, woo_shop, "order.updated", shipped).get_json() == {"status": "stored"}
    assert post_woo(client, woo_shop, "order.updated", shipped).get_json() == {"status": "duplicate"}
    drain(app)
    order = db.session.scalar(select(Order).where(Order.shop_id == woo_shop.id))
    assert order.external_id == str(created["id"]) and order.email == created["billing"]["email"]
    shipment = db.session.scalar(select(Shipment))
    assert shipment.tracking_number
    assert [m["To"] for m in smtp.messages] == [created["billing"]["email"]], [str(m["Subject"]) for m in smtp.messages]


def test_ping_bad_signature_unknown_shop_and_topic(db: Any, client: Any, woo_shop: Shop) -> None:
    ping = client.post(f"/webhooks/woocommerce/{woo_shop.id}", data="webhook_id=12",
                       content_type="application/x-www-form-urlencoded")
    assert ping.status_code == 200
    bare = client.post(f"/webhooks/woocommerce/{woo_shop.id}", data=b"webhook_id=12")  # no Content-Type at all
    assert bare.status_code == 200
    body = load_fixture("woocommerce", "order_created_processing.json")
    assert post_woo(client, woo_shop, "order.created", body, secret="not-the-secret").status_code == 401
    assert post_woo(client, woo_shop, "order.created", body, **{"X-WC-Webhook-Signature": "é"}).status_code == 401
    assert post_woo(client, woo_shop, "product.updated", body).status_code == 400
    assert post_woo(client, woo_shop, "order.created", b"[1, 2").status_code == 400
    assert client.post("/webhooks/woocommerce/99999", data=b"{}").status_code == 404
    assert client.post("/webhooks/woocommerce/not-a-shop", data=b"{}").status_code == 404
    assert count(db, WebhookEvent) == 0


def test_webhook_by_store_host_for_hand_made_webhooks(db: Any, client: Any, woo_shop: Shop) -> None:
    host = woo_shop.domain.split("://", 1)[1]
    from app.crypto import decrypt

    body = json.dumps(load_fixture("woocommerce", "order_created_processing.json")).encode()
    assert woo_shop.webhook_secret_enc is not None
    resp = client.post(f"/webhooks/woocommerce/{host}", data=body, headers={
        "X-WC-Webhook-Topic": "order.created", "Content-Type": "application/json",
        "X-WC-Webhook-Signature": sign_webhook(body, decrypt(woo_shop.webhook_secret_enc))})
    assert resp.status_code == 200 and count(db, WebhookEvent) == 1


def test_deleted_order_is_kept_and_told_nothing_more(app: Flask, db: Any, client: Any, smtp: Any,
                                                     woo_shop: Shop) -> None:
    order = load_fixture("woocommerce", "order_created_processing.json")
    post_woo(client, woo_shop, "order.created", order)
    post_woo(client, woo_shop, "order.deleted", {"id": order["id"]})
    shipped = load_fixture("woocommerce", "order_updated_completed_tracking.json")
    drain(app)
    row = db.session.scalar(select(Order))
    assert row.cancelled_at is not None  # kept, marked
    post_woo(client, woo_shop, "order.updated", shipped)  # sent before the deletion, delivered after it
    drain(app)
    assert smtp.messages == [] and count(db, Message, Message.status == "queued") == 0
    db.session.expire_all()
    assert db.session.scalar(select(Order)).cancelled_at is not None


def test_reconciliation_brings_back_a_disabled_webhook_and_a_missed_order(
        app: Flask, db: Any, smtp: Any, woo_shop: Shop, fake_woocommerce: FakeWooCommerce,
        recorded_time: None) -> None:
    from jobs.dispatcher import dispatch_once

    delivery = f"{app.config['APP_URL']}/webhooks/woocommerce/{woo_shop.id}"
    hook = fake_woocommerce.add_webhook("order.updated", delivery)
    fake_woocommerce.fail_deliveries(int(hook["id"]))  # WooCommerce disabled it after 5 failures
    woo_shop.installed_at = datetime.now(UTC) - timedelta(hours=1)
    db.session.commit()
    shipped = load_fixture("woocommerce", "order_updated_completed_tracking.json")
    missed = wc_order(2001, datetime.now(UTC), template=shipped)
    old = wc_order(2002, EPOCH, status="completed")  # modified long before the install: history, not news
    fake_woocommerce.add_orders([missed, old])
    dispatch_once(app)
    drain(app)
    assert fake_woocommerce.webhooks[int(hook["id"])]["status"] == "active"
    assert sorted(h["topic"] for h in fake_woocommerce.webhooks.values() if h["status"] == "active") == [
        "order.created", "order.deleted", "order.restored", "order.updated"]
    assert [m["To"] for m in smtp.messages] == [missed["billing"]["email"]]
    db.session.expire_all()
    assert db.session.get(Shop, woo_shop.id).reconciled_at is not None
    # The next pass re-reads what changed since, and tells nobody twice.
    db.session.get(Shop, woo_shop.id).reconcile_enqueued_at = None
    db.session.commit()
    dispatch_once(app)
    drain(app)
    assert len(smtp.messages) == 1


def test_cli_connects_a_store_with_keys(app: Flask, db: Any, live: str, fake_woocommerce: FakeWooCommerce) -> None:
    result = app.test_cli_runner().invoke(args=["shops", "create", "woocommerce", fake_woocommerce.url,
                                                "--consumer-key", CONSUMER_KEY, "--consumer-secret", CONSUMER_SECRET])
    assert result.exit_code == 0, result.output
    assert "webhook_secret: " in result.output and "connected" in result.output
    drain(app)
    assert len(fake_woocommerce.webhooks) == 4
    half = app.test_cli_runner().invoke(args=["shops", "create", "woocommerce", "https://otra.example",
                                              "--consumer-key", CONSUMER_KEY])
    assert half.exit_code != 0 and "go together" in half.output


def test_cli_backfill_pages_through_the_store_and_resumes(app: Flask, db: Any, woo_shop: Shop, smtp: Any,
                                                          fake_woocommerce: FakeWooCommerce) -> None:
    from app.models import Backfill

    fake_woocommerce.add_orders(make_orders(250, start=datetime.now(UTC) - timedelta(days=20), step=timedelta(hours=1)))
    fake_woocommerce.add_orders([wc_order(9001, datetime.now(UTC) - timedelta(days=90))])  # older than 60 days
    runner = app.test_cli_runner()
    refused = runner.invoke(args=["backfill", "https://nadie.example"])
    assert refused.exit_code != 0 and "no shop" in refused.output
    # A worker dies after the first page: that page and its cursor are committed, the rest is not.
    from app.services import backfill as service

    def crash(b: Backfill) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        service.run(service.start(woo_shop).id, crash)
    assert db.session.scalar(select(Backfill)).cursor == "2"
    fake_woocommerce.inject("GET", r"/wc/v3/orders$", status=401, body={"code": "woocommerce_rest_cannot_view",
                            "message": "Sorry, you cannot list resources.", "data": {"status": 401}})
    failed = runner.invoke(args=["backfill", woo_shop.domain])
    assert failed.exit_code != 0 and "run it again to resume" in failed.output
    assert "cannot list resources" in db.session.scalar(select(Backfill)).error
    done = runner.invoke(args=["backfill", str(woo_shop.id)])
    assert done.exit_code == 0, done.output
    assert "resuming after 100 orders" in done.output
    assert "done: 250 orders in 3 pages, 0 skipped" in done.output
    assert count(db, Order, Order.shop_id == woo_shop.id) == 250 and smtp.messages == []
    pages = [c["params"] for c in fake_woocommerce.calls("GET", r"^wc/v3/orders$")]
    assert {p["per_page"] for p in pages} == {"100"} and pages[-1]["page"] == "3"
    assert all("modified_after" in p for p in pages)


def test_backfill_reads_tracking_from_the_plugin_or_core_fulfillments(
        app: Flask, db: Any, woo_shop: Shop, fake_woocommerce: FakeWooCommerce) -> None:
    from app.services import backfill as service

    now = datetime.now(UTC)
    plugin, core, bare = (wc_order(i, now - timedelta(days=1), status="completed") for i in (3001, 3002, 3003))
    fake_woocommerce.add_orders([plugin, core, bare])
    fake_woocommerce.trackings[3001] = [{"tracking_id": "9f1c", "tracking_provider": "correos",
                                         "tracking_link": "", "tracking_number": "PQ4F6P0703673180128000P",
                                         "date_shipped": "2026-11-20", "namespace": "wc-shipment-tracking/v3"}]
    fake_woocommerce.core_fulfillments = True
    fulfillment = load_fixture("woocommerce", "order_fulfillments.json")[0]
    fulfillment["meta_data"][0]["value"] = [{"item_id": core["line_items"][0]["id"], "qty": 1}]
    fake_woocommerce.fulfillments[3002] = [fulfillment]
    service.run(service.start(woo_shop).id)
    shipments = {o.external_id: [(s.external_id, s.tracking_number) for s in o.shipments]
                 for o in db.session.scalars(select(Order))}
    assert shipments["3001"] == [("9f1c", "PQ4F6P0703673180128000P")]
    assert shipments["3002"] == [("3002-fulfillment-7", "PQ4F6P0703673180155000K")]
    assert shipments["3003"] == [("3003-completed", None)]  # still a shipment the merchant can add tracking to


def test_revoked_keys_disconnect_the_store_instead_of_failing_forever(
        app: Flask, db: Any, woo_shop: Shop, fake_woocommerce: FakeWooCommerce) -> None:
    from jobs.dispatcher import dispatch_once, shops_due_for_reconciliation

    fake_woocommerce.keys.clear()  # the merchant deleted our key in WooCommerce
    dispatch_once(app)
    drain(app)
    db.session.expire_all()
    shop = db.session.get(Shop, woo_shop.id)
    assert shop.credentials_enc is None and "disconnected" in shop.settings
    assert shops_due_for_reconciliation(app, datetime.now(UTC) + timedelta(days=1)) == []
    assert count(db, Order) == 0
    reconnected = save_credentials(shop.domain, Credentials(CONSUMER_KEY, CONSUMER_SECRET))
    assert "disconnected" not in reconnected.settings
