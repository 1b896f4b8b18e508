"""Signed redirects and the open pixel: counted once each, and never a way to send shoppers elsewhere."""

from __future__ import annotations

from typing import Any

from itsdangerous import URLSafeSerializer
from sqlalchemy import func, select

from app.models import Engagement, Message
from app.services import engagement
from app.services.ingest import claim_pending, process_events
from tests.conftest import load_fixture


def a_message(db: Any, post_shopify: Any) -> Message:
    post_shopify("orders/create", load_fixture("shopify", "orders_create.json"), "e1")
    post_shopify("fulfillments/create", load_fixture("shopify", "fulfillments_create.json"), "e2")
    process_events(claim_pending(10))
    message: Message = db.session.scalar(select(Message))
    return message


def counted(db: Any) -> int:
    return int(db.session.scalar(select(func.count()).select_from(Engagement)))


def test_no_open_redirect(app: Any, db: Any, shop: Any, client: Any, post_shopify: Any) -> None:
    message = a_message(db, post_shopify)
    good = engagement.click_url(message.id, "https://tienda.example/t/abc").removeprefix(app.config["APP_URL"])
    assert client.get(good).headers["Location"] == "https://tienda.example/t/abc"
    token = good.removeprefix("/r/")
    forged = URLSafeSerializer("not-our-key", salt="postventa.engagement.v1").dumps(
        {"m": message.id, "u": "https://evil.example"})
    for bad in (token[:-2] + "xx", forged, "garbage"):
        resp = client.get(f"/r/{bad}")
        assert resp.status_code == 404 and "Location" not in resp.headers
    scripted = engagement.click_url(message.id, "javascript:alert(1)").removeprefix(app.config["APP_URL"])
    assert client.get(scripted).status_code == 404  # even a signed link only goes to a web page
    assert counted(db) == 1


def test_pixel_always_answers_and_counts_only_real_messages(app: Any, db: Any, shop: Any, client: Any,
                                                            post_shopify: Any) -> None:
    message = a_message(db, post_shopify)
    pixel = engagement.open_pixel_url(message.id).removeprefix(app.config["APP_URL"])
    for path in (pixel, pixel, "/o/garbage.gif"):
        resp = client.get(path)
        assert resp.status_code == 200 and resp.data.startswith(b"GIF89a")
        assert resp.headers["Cache-Control"].startswith("no-store")
    summary = engagement.summary(shop.id)
    assert (summary["email_opens"], summary["emails_opened"]) == (2, 1)


def test_a_lookup_counts_as_a_shopper_tracking_by_themselves(db: Any, shop: Any, client: Any,
                                                             post_shopify: Any) -> None:
    a_message(db, post_shopify)
    resp = client.post("/track", data={"order": "1001", "email": "lucia.martin@example.com"})
    assert resp.status_code == 302
    client.get(resp.headers["Location"])
    assert engagement.summary(shop.id)["lookups"] == 1
    assert engagement.summary(shop.id)["orders_tracked_by_shoppers"] == 1


def test_each_shipment_lists_its_own_items(db: Any, shop: Any, client: Any, post_shopify: Any) -> None:
    from app.models import Order
    from app.services.links import tracking_token

    post_shopify("orders/create", load_fixture("shopify", "orders_multiple_fulfillments.json"), "m1")
    process_events(claim_pending(10))
    order = db.session.scalar(select(Order))
    page = client.get(f"/t/{tracking_token(order.id)}").get_data(as_text=True)
    sections = [part.split("<h3>")[0] for part in page.split('class="card shipment"')[1:]]
    assert len(sections) == 3  # three fulfillments (the last a re-shipment of the bottle)
    assert "Trail Runner Sneakers" in sections[0] and "Merino Wool Socks (3-Pack)" in sections[0]
    assert "× 2" in sections[0] and "Insulated Water Bottle" not in sections[0]
    assert "Insulated Water Bottle 32oz" in sections[1] and "Trail Runner" not in sections[1]


def test_faq_and_recommendations_on_the_tracking_page(app: Any, db: Any, shop: Any, client: Any,
                                                      post_shopify: Any) -> None:
    from app.models import Order
    from app.services.links import tracking_token

    post_shopify("orders/create", load_fixture("shopify", "orders_multiple_fulfillments.json"), "m1")  # #1042
    post_shopify("orders/create", load_fixture("shopify", "orders_create.json"), "m2")  # #1001, in Spanish
    process_events(claim_pending(10))
    mine = db.session.scalar(select(Order).where(Order.number == "#1001"))
    page = client.get(f"/t/{tracking_token(mine.id)}").get_data(as_text=True)
    assert "¿Cuándo llegará mi pedido?" in page  # our questions, in the order's language
    # Best sellers from the store's other orders, never what this order already has.
    assert "Trail Runner Sneakers" in page and "Camiseta de algodón orgánico</a>" not in page
    link = page.split('<section class="card recommendations">')[1].split('href="')[1].split('"')[0]
    resp = client.get(link.removeprefix(app.config["APP_URL"]).replace("&amp;", "&"))
    assert resp.status_code == 302
    assert resp.headers["Location"].startswith("https://tienda-test.myshopify.com/search?q=")
    assert engagement.summary(shop.id)["recommendation_clicks"] == 1
    # The merchant's own questions replace ours for that language.
    shop.settings = {"faq": {"es": [{"q": "¿Hacéis envíos a Canarias?", "a": "Sí, en 3 a 5 días."}]}}
    db.session.commit()
    page = client.get(f"/t/{tracking_token(mine.id)}").get_data(as_text=True)
    assert "¿Hacéis envíos a Canarias?" in page and "¿Cuándo llegará mi pedido?" not in page


def test_faq_validation() -> None:
    import pytest

    from app.services.faq import FaqError, validate

    assert validate({"es": [{"q": " ¿Sí? ", "a": "Sí."}]}) == {"es": [{"q": "¿Sí?", "a": "Sí."}]}
    for bad in ({}, {"fr": []}, {"es": "x"}, {"es": [{"q": "", "a": "x"}]}, {"es": [{"q": "x" * 201, "a": "y"}]},
                {"en": [{"q": "q", "a": "a"}] * 11}, None, []):
        with pytest.raises(FaqError):
            validate(bad)
