"""Signed webhooks in, a real RQ worker in between, emails out of a real SMTP server."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select

from app.models import Message, Order
from app.services.links import tracking_token
from jobs.mail import send_messages
from tests.conftest import drain, load_fixture


def post_story(post_shopify: Any) -> None:
    post_shopify("orders/create", load_fixture("shopify", "orders_create.json"), "e1")
    post_shopify("fulfillments/create", load_fixture("shopify", "fulfillments_create.json"), "e2")
    post_shopify("orders/updated", load_fixture("shopify", "orders_updated.json"), "e3")
    post_shopify("fulfillments/update", load_fixture("shopify", "fulfillments_update.json"), "e4")


def test_webhooks_become_emails_through_the_worker(app: Any, db: Any, shop: Any, post_shopify: Any, smtp: Any,
                                                   client: Any) -> None:
    post_story(post_shopify)
    drain(app)
    assert len(smtp.messages) == 2
    assert all("#1001" in m["Subject"] for m in smtp.messages)
    by_kind = {m["X-Postventa-Key"].rsplit(":", 1)[-1]: m for m in smtp.messages}
    assert set(by_kind) == {"shipped", "delivered"}
    shipped = by_kind["shipped"]
    assert shipped["To"] == "lucia.martin@example.com"
    assert "Tienda Test" in shipped["From"]
    html = shipped.get_body(("html",)).get_content()
    text = shipped.get_body(("plain",)).get_content()
    order = db.session.scalar(select(Order))
    link = f"http://shop.test/t/{tracking_token(order.id)}"
    assert "PQ4F6P0703673180128000P" in text and "Correos" in text
    assert 'style="' in html and "<style" not in html  # CSS inlined for mail clients
    # Each link in the email counts the click, then opens the page it was signed for (the only place it can go):
    # the tracking page, and the returns portal beside the store's return policy.
    clicks = {u for u in re.findall(r"http://shop\.test/r/[\w.-]+", text)}
    assert len(clicks) == 2 and all(c in html for c in clicks)
    targets = {client.get(c.removeprefix("http://shop.test")).headers["Location"] for c in clicks}
    assert link in targets
    assert any(t.startswith("http://shop.test/returns/tienda-test.myshopify.com/o/") for t in targets)
    page = client.get(link.removeprefix("http://shop.test"))
    assert page.status_code == 200 and "#1001" in page.get_data(as_text=True)
    (pixel,) = re.findall(r"http://shop\.test/o/[\w.-]+\.gif", html)
    opened = client.get(pixel.removeprefix("http://shop.test"))
    assert opened.status_code == 200 and opened.headers["Content-Type"] == "image/gif"
    assert {m.status for m in db.session.scalars(select(Message))} == {"sent"}
    from app.services.engagement import summary

    assert summary(order.shop_id) == {"email_opens": 1, "emails_opened": 1, "email_clicks": 2,
                                      "tracking_page_views": 1, "lookups": 0, "recommendation_clicks": 0,
                                      "orders_tracked_by_shoppers": 1}


def test_duplicates_replays_and_reruns_send_nothing_twice(app: Any, db: Any, shop: Any, post_shopify: Any,
                                                          smtp: Any) -> None:
    post_story(post_shopify)
    post_story(post_shopify)  # the same deliveries again: deduplicated on the event id
    drain(app)
    assert len(smtp.messages) == 2
    # Replayed under new event ids (a platform resend): stored, processed, but nothing new to say.
    post_shopify("fulfillments/update", load_fixture("shopify", "fulfillments_update.json"), "e4-replay")
    post_shopify("orders/updated", load_fixture("shopify", "orders_updated.json"), "e3-replay")
    drain(app)
    assert len(smtp.messages) == 2
    # A job run again (RQ retry after a crash, an operator requeue): every message is already sent.
    ids = [m.id for m in db.session.scalars(select(Message))]
    assert send_messages(ids) == {"sent": 0, "skipped": 2}
    assert len(smtp.messages) == 2


def test_redis_losing_its_jobs_loses_nothing(app: Any, db: Any, shop: Any, post_shopify: Any, smtp: Any,
                                             queue: Any) -> None:
    from jobs.dispatcher import dispatch_once

    post_story(post_shopify)
    assert dispatch_once(app).event_batches == 1
    queue.connection.flushall()  # Redis restarted empty: the enqueued batch is gone
    drain(app)
    assert smtp.messages == []  # the claim is still leased; nothing was processed twice or at all
    app.config["CLAIM_LEASE_SECONDS"] = 0  # the lease runs out
    try:
        drain(app)
    finally:
        app.config["CLAIM_LEASE_SECONDS"] = 600
    assert len(smtp.messages) == 2
