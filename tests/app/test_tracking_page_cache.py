"""The tracking page's cache never shows stale content, and every view is still counted (off the request path)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from app.models import Engagement, Order, Shipment, Shop, TrackingEvent
from app.services import engagement, page_cache, recommendations
from app.services.ingest import claim_pending, process_events
from app.services.links import tracking_token
from app.services.orders import apply_tracking_event
from connectors.base import TrackingEventChange
from connectors.model import ShipmentStatus
from connectors.model import TrackingEvent as NewEvent
from tests.app.test_app_proxy import proxied
from tests.conftest import load_fixture


def stored_order(db: Any, post_shopify: Any, tag: str = "") -> Order:
    """#1001, in Spanish, shipped with Correos."""
    post_shopify("orders/create", load_fixture("shopify", "orders_create.json"), f"e1{tag}")
    post_shopify("fulfillments/create", load_fixture("shopify", "fulfillments_create.json"), f"e2{tag}")
    process_events(claim_pending(10))
    order: Order = db.session.scalar(select(Order).where(Order.number == "#1001"))
    return order


def get(client: FlaskClient, path: str, **query: str) -> TestResponse:
    """A request in an app context of its own (g, the chosen language), as in production, not in the test's."""
    assert client.application is not None
    with client.application.app_context():
        return client.get(path, query_string=query)


def view(client: FlaskClient, order_id: int, **query: str) -> str:
    resp = get(client, f"/t/{tracking_token(order_id)}", **query)
    assert resp.status_code == 200
    return resp.get_data(as_text=True)


def hits(app: Flask) -> int:
    return page_cache.for_app(app).stats.hits


def versions(db: Any, order_id: int) -> tuple[int, int]:
    row = db.session.execute(select(Order.page_version, Shop.page_version).join(Shop, Shop.id == Order.shop_id)
                             .where(Order.id == order_id)).one()
    return int(row[0]), int(row[1])


def page_views(db: Any) -> int:
    return int(db.session.scalar(select(func.count()).select_from(Engagement).where(Engagement.kind == "page_view")))


def test_a_new_tracking_event_shows_on_the_next_view(app: Flask, db: Any, shop: Any, client: FlaskClient,
                                                     post_shopify: Any) -> None:
    order = stored_order(db, post_shopify)
    first = view(client, order.id)
    before = hits(app)
    assert view(client, order.id) == first and hits(app) == before + 1  # the second view came from the cache
    shipment = order.shipments[0]
    news = NewEvent(ShipmentStatus.OUT_FOR_DELIVERY, datetime.now(UTC), "En reparto desde Coslada", "Coslada, ES")
    apply_tracking_event(order, TrackingEventChange(order.external_id, shipment.external_id, news))
    db.session.commit()
    page = view(client, order.id)
    assert "En reparto desde Coslada" in page and "En reparto desde Coslada" not in first


def test_a_change_committed_by_another_process_shows_on_the_next_view(app: Flask, db: Any, shop: Any,
                                                                      client: FlaskClient,
                                                                      post_shopify: Any) -> None:
    """An RQ worker elsewhere: its own session, only the shipment loaded; the order's version still changes."""
    order = stored_order(db, post_shopify)
    shipment_id = order.shipments[0].id
    assert "SEUR" not in view(client, order.id)
    view(client, order.id)
    with Session(db.engine) as other:
        shipment = other.get(Shipment, shipment_id)
        assert shipment is not None
        shipment.carrier = "SEUR"
        start = datetime(2031, 3, 3, 12, tzinfo=UTC)
        shipment.eta_start, shipment.eta_end = start, start + timedelta(days=2)  # a new delivery estimate
        other.commit()
    page = view(client, order.id)
    assert "<dd>SEUR</dd>" in page
    assert page.split('class="eta">')[1].startswith("lun 3 mar")


def test_shop_settings_show_on_the_next_view(app: Flask, db: Any, shop: Any, client: FlaskClient,
                                             post_shopify: Any) -> None:
    order = stored_order(db, post_shopify)
    assert "--brand: #1f6f5c" in view(client, order.id)
    shop.settings = {"primary_color": "#123456", "store_name": "La Tienda de Lucía",
                     "faq": {"es": [{"q": "¿Hacéis envíos a Canarias?", "a": "Sí."}]}}
    db.session.commit()
    page = view(client, order.id)
    assert "--brand: #123456" in page and "La Tienda de Lucía" in page and "¿Hacéis envíos a Canarias?" in page
    shop.settings = {**shop.settings, "faq": {"es": [{"q": "¿Y a Baleares?", "a": "También."}]}}
    db.session.commit()
    page = view(client, order.id)
    assert "¿Y a Baleares?" in page and "Canarias" not in page


def test_each_language_is_its_own_page_and_follows_the_order(app: Flask, db: Any, shop: Any, client: FlaskClient,
                                                             post_shopify: Any) -> None:
    order = stored_order(db, post_shopify)
    for _ in range(2):  # the second round comes from the cache
        assert 'lang="es"' in view(client, order.id) and "Pedido #1001" in view(client, order.id)
        assert 'lang="en"' in view(client, order.id, lang="en") and "Order #1001" in view(client, order.id, lang="en")
        assert "Pedido #1001" in view(client, order.id, lang="es")
        assert "Pedido #1001" in view(client, order.id, lang="fr")  # not a language we have: the order's
    order.locale = "en-GB"
    db.session.commit()
    assert "Order #1001" in view(client, order.id)


def test_the_app_proxy_page_is_kept_apart(app: Flask, db: Any, shop: Any, client: FlaskClient,
                                          post_shopify: Any) -> None:
    order = stored_order(db, post_shopify)
    direct = view(client, order.id)
    assert 'href="/static/style.css"' in direct
    resp = get(client, f"/proxy/t/{tracking_token(order.id)}", **proxied(app))
    assert resp.status_code == 200 and 'href="http://shop.test/static/style.css"' in resp.get_data(as_text=True)
    assert view(client, order.id) == direct
    other = Shop(platform="shopify", domain="otra-tienda.myshopify.com", name="Otra", settings={})
    db.session.add(other)
    db.session.commit()
    resp = get(client, f"/proxy/t/{tracking_token(order.id)}", **proxied(app, shop=other.domain))
    assert resp.status_code == 404  # cached or not, another store's domain never shows this order


def test_new_best_sellers_show_once_the_recommendations_cache_has_them(app: Flask, db: Any, shop: Any,
                                                                       client: FlaskClient,
                                                                       post_shopify: Any) -> None:
    order = stored_order(db, post_shopify)
    assert "Trail Runner Sneakers" not in view(client, order.id)
    post_shopify("orders/create", load_fixture("shopify", "orders_multiple_fulfillments.json"), "m1")
    process_events(claim_pending(10))
    # The page agrees with the recommendations' own 10-minute cache; the moment that cache has news, so does the page.
    assert "Trail Runner Sneakers" not in view(client, order.id)
    recommendations.forget(shop.id)
    assert "Trail Runner Sneakers" in view(client, order.id)


def test_a_deleted_order_is_a_404_even_if_its_page_was_cached(app: Flask, db: Any, shop: Any, client: FlaskClient,
                                                              post_shopify: Any) -> None:
    order = stored_order(db, post_shopify)
    token = tracking_token(order.id)
    view(client, order.id)
    db.session.delete(order)
    db.session.commit()
    assert get(client, f"/t/{token}").status_code == 404
    assert get(client, f"/t/{token[:-2]}xx").status_code == 404


def test_versions_change_with_what_is_shown_and_only_with_it(app: Flask, db: Any, shop: Any,
                                                             post_shopify: Any) -> None:
    order = stored_order(db, post_shopify)
    shipment = order.shipments[0]
    start = versions(db, order.id)
    shipment.next_poll_at = datetime.now(UTC)  # the polling lease: not shown
    shipment.carrier = shipment.carrier  # the same value
    shop.reconciled_at = datetime.now(UTC)
    db.session.commit()
    assert versions(db, order.id) == start
    shipment.status = "exception"
    db.session.rollback()
    assert versions(db, order.id) == start
    shipment.status = "exception"
    db.session.commit()
    changed = versions(db, order.id)
    assert changed[0] != start[0] and changed[1] == start[1]
    order.line_items[0].quantity += 1
    db.session.commit()
    assert versions(db, order.id)[0] != changed[0]


def test_bulk_statements_on_shown_columns_change_every_page(app: Flask, db: Any, shop: Any, client: FlaskClient,
                                                            post_shopify: Any) -> None:
    order = stored_order(db, post_shopify)
    view(client, order.id)
    start = versions(db, order.id)
    db.session.execute(update(Shipment).where(Shipment.order_id == order.id).values(next_poll_at=datetime.now(UTC)))
    db.session.execute(update(Shop).values(reconcile_enqueued_at=datetime.now(UTC)))
    db.session.commit()
    assert versions(db, order.id) == start  # the dispatcher's claims change nothing shown
    db.session.execute(update(Shipment).where(Shipment.order_id == order.id).values(carrier="MRW"))
    db.session.commit()
    assert versions(db, order.id)[1] != start[1]
    assert "<dd>MRW</dd>" in view(client, order.id)
    db.session.execute(insert(TrackingEvent), [{
        "shipment_id": order.shipments[0].id, "status": "in_transit", "occurred_at": datetime.now(UTC),
        "message": "Clasificado en Zaragoza", "location": "Zaragoza, ES"}])
    db.session.commit()
    assert "Clasificado en Zaragoza" in view(client, order.id)


# --- page views ---------------------------------------------------------------------------------------------

def test_every_view_is_counted_cached_or_not(app: Flask, db: Any, shop: Any, client: FlaskClient,
                                             post_shopify: Any) -> None:
    order = stored_order(db, post_shopify)
    before = hits(app)
    for _ in range(5):
        view(client, order.id)
    assert hits(app) == before + 4
    summary = engagement.summary(shop.id)  # the merchant's analytics see this process's views at once
    assert summary["tracking_page_views"] == 5 and summary["orders_tracked_by_shoppers"] == 1
    assert page_views(db) == 5


def test_views_are_written_in_the_background(app: Flask, db: Any, shop: Any, client: FlaskClient,
                                             post_shopify: Any) -> None:
    order = stored_order(db, post_shopify)
    view(client, order.id)
    view(client, order.id)
    deadline = time.monotonic() + 10 * engagement.FLUSH_SECONDS
    while page_views(db) < 2 and time.monotonic() < deadline:
        db.session.rollback()
        time.sleep(0.05)
    assert page_views(db) == 2 and engagement.views(app).pending() == 0


def test_a_failed_write_keeps_the_views_for_the_next_one(app: Flask, db: Any, shop: Any, post_shopify: Any,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    order = stored_order(db, post_shopify)
    counter = engagement.ViewCounter(app, interval=3600)  # written only when this test says so
    calls = []

    def down(batch: Any) -> int:
        calls.append(len(batch))
        raise ConnectionError("database restarting")

    with monkeypatch.context() as patched:
        patched.setattr(engagement.ViewCounter, "_write", staticmethod(down))
        patched.setattr(engagement.log, "exception", lambda *args, **kwargs: None)
        counter.add(shop.id, order.id)
        counter.add(shop.id, order.id)
        assert counter.try_flush() == 0 and calls == [2] and counter.pending() == 2
        counter.add(shop.id, order.id)
        assert counter.try_flush() == 0 and calls == [2, 3]
    assert counter.flush() == 3 and counter.pending() == 0 and page_views(db) == 3


def test_views_of_an_order_deleted_meanwhile_are_dropped(app: Flask, db: Any, shop: Any, post_shopify: Any) -> None:
    order = stored_order(db, post_shopify)
    counter = engagement.ViewCounter(app, interval=3600)
    counter.add(shop.id, order.id)
    db.session.delete(order)
    db.session.commit()
    again = stored_order(db, post_shopify, "again")  # SQLite may give the new order the same id: still not viewed
    counter.add(shop.id + 1000, again.id)  # not this order's shop
    assert counter.flush() == 0 and counter.pending() == 0 and page_views(db) == 0
    counter.add(shop.id, again.id)
    assert counter.flush() == 1


def test_views_pending_at_a_normal_exit_are_written(app: Flask, db: Any, shop: Any, post_shopify: Any,
                                                    tmp_path: Any) -> None:
    """Another process (a gunicorn worker stopping) with views not yet written by its background thread."""
    order = stored_order(db, post_shopify)
    script = textwrap.dedent(f"""
        from app import create_app
        from app.services import engagement
        engagement.FLUSH_SECONDS = 3600  # only the exit writes them
        app = create_app({{"SQLALCHEMY_DATABASE_URI": {app.config['SQLALCHEMY_DATABASE_URI']!r},
                          "SECRET_KEY": "test-secret"}}, instance_path={str(tmp_path)!r})
        with app.app_context():
            for _ in range(3):
                engagement.count_page_view({shop.id}, {order.id})
            assert engagement.views(app).pending() == 3
    """)
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    env = {**os.environ, "PYTHONPATH": root}
    done = subprocess.run([sys.executable, "-c", script], cwd=root, env=env, capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    assert page_views(db) == 3


def test_a_forked_child_leaves_its_parents_views_to_the_parent(app: Flask, db: Any, shop: Any, client: FlaskClient,
                                                               post_shopify: Any) -> None:
    """RQ forks a work horse per job: it must not write (again) what the web process has pending."""
    order = stored_order(db, post_shopify)
    counter = engagement.views(app)
    counter.flush()
    view(client, order.id)
    pid = os.fork()
    if pid == 0:  # the child: nothing of the parent's to write
        code = 0 if (counter.pending(), counter.flush()) == (0, 0) else 1
        os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    counter.flush()
    assert page_views(db) == 1


# --- the cache shared by workers (REDIS_URL) ----------------------------------------------------------------

@pytest.fixture
def workers(app: Flask) -> Any:
    """Stand-ins for two web workers of one deployment: each its own memory, one Redis between them."""
    import fakeredis

    shared = fakeredis.FakeRedis()
    own = app.extensions.pop("postventa_page_cache", None)
    made: list[page_cache.PageCache] = []

    def worker() -> page_cache.PageCache:
        made.append(page_cache.PageCache(shared=shared))
        app.extensions["postventa_page_cache"] = made[-1]
        return made[-1]

    yield worker
    app.extensions.pop("postventa_page_cache", None)
    if own is not None:
        app.extensions["postventa_page_cache"] = own


def test_a_page_rendered_by_one_worker_is_served_by_the_others(app: Flask, db: Any, shop: Any,
                                                               client: FlaskClient, post_shopify: Any,
                                                               workers: Any) -> None:
    order = stored_order(db, post_shopify)
    first = workers()
    page = view(client, order.id)
    assert (first.stats.misses, first.stats.shared_hits) == (1, 0)
    second = workers()
    assert view(client, order.id) == page and (second.stats.misses, second.stats.shared_hits) == (0, 1)
    assert view(client, order.id) == page and second.stats.hits == 1  # now in its own memory too
    assert "Pedido #1001" in view(client, order.id) and "Order #1001" in view(client, order.id, lang="en")
    # A change: neither worker's copy, nor Redis's, is served again.
    shipment = order.shipments[0]
    news = NewEvent(ShipmentStatus.OUT_FOR_DELIVERY, datetime.now(UTC), "En reparto desde Coslada", "Coslada, ES")
    apply_tracking_event(order, TrackingEventChange(order.external_id, shipment.external_id, news))
    db.session.commit()
    assert "En reparto desde Coslada" in view(client, order.id)
    workers()  # the first worker again, say: Redis has the new page
    assert "En reparto desde Coslada" in view(client, order.id)
    assert app.extensions["postventa_page_cache"].stats.shared_hits == 1


def test_without_redis_pages_are_still_served(app: Flask, db: Any, shop: Any, client: FlaskClient,
                                              post_shopify: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    import redis

    order = stored_order(db, post_shopify)
    down = redis.Redis(host="127.0.0.1", port=1, socket_timeout=0.2, socket_connect_timeout=0.2)
    cache = page_cache.PageCache(shared=down)
    monkeypatch.setitem(app.extensions, "postventa_page_cache", cache)
    monkeypatch.setattr(page_cache.log, "warning", lambda *args, **kwargs: None)
    assert "Pedido #1001" in view(client, order.id)
    assert "Pedido #1001" in view(client, order.id)
    assert (cache.stats.misses, cache.stats.hits) == (1, 1)


# --- the fast path (plain WSGI) ------------------------------------------------------------------------------

def test_a_cached_page_is_answered_before_flask_and_exactly_as_flask_answers_it(
        app: Flask, db: Any, shop: Any, client: FlaskClient, post_shopify: Any,
        monkeypatch: pytest.MonkeyPatch) -> None:
    from app.blueprints import shopper

    order = stored_order(db, post_shopify)
    path = f"/t/{tracking_token(order.id)}"
    by_flask = {lang: get(client, path, **({"lang": lang} if lang else {})) for lang in ("", "en")}

    def not_flask(*args: Any, **kwargs: Any) -> str:
        raise AssertionError("Flask's view ran for a cached page")

    monkeypatch.setattr(shopper, "render_tracking", not_flask)
    for lang, query in (("", {}), ("en", {"lang": "en"}), ("", {"lang": "fr"}), ("", {"lang": "ES"})):
        fast = get(client, path, **query)
        assert (fast.status_code, fast.get_data(), sorted(fast.headers.items())) == (
            by_flask[lang].status_code, by_flask[lang].get_data(), sorted(by_flask[lang].headers.items()))
    monkeypatch.undo()
    assert get(client, path[:-2] + "xx").status_code == 404  # Flask's answer, as before
    assert get(client, path + "/").status_code == 404
    assert engagement.summary(shop.id)["tracking_page_views"] == 6


def test_a_failure_on_the_fast_path_is_flasks_to_answer(app: Flask, db: Any, shop: Any, client: FlaskClient,
                                                        post_shopify: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    order = stored_order(db, post_shopify)
    page = view(client, order.id)
    real = page_cache.PageCache.head
    calls = []

    def flaky(self: page_cache.PageCache, order_id: int) -> page_cache.Head | None:
        calls.append(order_id)
        if len(calls) == 1:
            raise ConnectionError("the database went away for a moment")
        return real(self, order_id)

    monkeypatch.setattr(page_cache.PageCache, "head", flaky)
    assert view(client, order.id) == page and len(calls) == 2


def test_the_version_read_survives_the_database_closing_its_connection(app: Flask, db: Any, shop: Any,
                                                                       client: FlaskClient,
                                                                       post_shopify: Any) -> None:
    from sqlalchemy import text

    if db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only: the version read has its own connections there")
    order = stored_order(db, post_shopify)
    page = view(client, order.id)
    reader = app.extensions["postventa_head_reader"]
    conn = reader.engine.raw_connection()  # the pool's one connection (one request at a time here)
    cursor = conn.cursor()
    cursor.execute("SELECT pg_backend_pid()")
    pid = cursor.fetchone()[0]
    cursor.close()
    conn.close()
    db.session.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    db.session.commit()
    assert reader.read(order.id) is not None  # a restart or failover: one retry, on a new connection
    assert view(client, order.id) == page
