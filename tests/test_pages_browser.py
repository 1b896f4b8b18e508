"""The shopper's tracking page and lookup form, served over real HTTP and driven in the system Chromium."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask

from tests.browser_pages import require_chromium
from tests.conftest import drain, load_fixture

require_chromium()

from playwright.sync_api import Browser, Page, expect  # noqa: E402

SCREENSHOT = "/tmp/tracking-es.png"

ORDER_NUMBER = "#1001"
EMAIL = "lucia.martin@example.com"
CARRIER = "Correos"
TRACKING_NUMBER = "PQ4F6P0703673180128000P"


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh profile whose browser asks for English: pages in Spanish are so because of the order."""
    context = browser.new_context(locale="en-US", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    try:
        yield context.new_page()
    finally:
        context.close()


@pytest.fixture
def delivered_order(shop: Any, post_shopify: Callable[..., Any], app: Flask) -> int:
    """Order #1001 (customer_locale "es") created, shipped with Correos, then delivered; all jobs run."""
    for topic, name, event_id in (("orders/create", "orders_create.json", "evt-order-create"),
                                  ("fulfillments/create", "fulfillments_create.json", "evt-fulfil-create"),
                                  ("fulfillments/update", "fulfillments_update.json", "evt-fulfil-update")):
        response = post_shopify(topic, load_fixture("shopify", name), event_id)
        assert response.status_code == 200, response.get_data(as_text=True)
    drain(app)
    from sqlalchemy import select

    from app.extensions import db
    from app.models import Order

    order = db.session.scalar(select(Order).where(Order.number == ORDER_NUMBER))
    assert order is not None, "the orders/create webhook did not produce order #1001"
    assert order.locale == "es"
    assert [s.status for s in order.shipments] == ["delivered"]
    db.session.remove()
    return order.id


def tracking_path(order_id: int) -> str:
    from app.services.links import tracking_token

    return f"/t/{tracking_token(order_id)}"


def test_tracking_page_in_the_order_language(page: Page, server: str, delivered_order: int) -> None:
    response = page.goto(server + tracking_path(delivered_order))
    assert response is not None and response.status == 200

    expect(page.locator("html")).to_have_attribute("lang", "es")
    expect(page).to_have_title(re.compile(r"^Pedido #1001 · "))
    expect(page.get_by_role("heading", level=1)).to_have_text("Pedido #1001")

    shipment = page.locator("section.shipment")
    expect(shipment).to_have_count(1)
    expect(shipment).to_have_attribute("data-status", "delivered")
    expect(shipment.get_by_role("heading", level=2)).to_have_text("Entregado")
    expect(shipment.locator("dt", has_text="Transportista")).to_be_visible()
    expect(shipment.locator("dd", has_text=CARRIER)).to_be_visible()
    expect(shipment.locator("dt", has_text="Número de seguimiento")).to_be_visible()
    link = shipment.get_by_role("link", name=TRACKING_NUMBER)
    expect(link).to_be_visible()
    expect(link).to_have_attribute("href", re.compile(r"^https://www\.correos\.es/.*" + TRACKING_NUMBER))

    # The progress bar: all four steps reached, in Spanish.
    steps = shipment.locator("ol.progress > li")
    expect(steps).to_have_text(["Pedido confirmado", "En tránsito", "En reparto", "Entregado"])
    expect(steps.and_(page.locator(".done"))).to_have_count(4)

    # The timeline: the carrier's checkpoint (fulfillments/update's shipment_status), newest first.
    expect(shipment.get_by_role("heading", level=3)).to_have_text("Novedades del envío")
    timeline = shipment.locator("ol.timeline > li")
    expect(timeline).to_have_count(1)  # fulfillments/create carried no shipment_status, so no checkpoint
    expect(timeline.first).to_be_visible()
    expect(timeline.first.locator("strong")).to_have_text("Entregado")
    expect(timeline.first.locator("time")).to_have_attribute("datetime", re.compile(r"^2026-11-23T"))
    expect(timeline.first.locator("time")).to_contain_text("2026")
    expect(shipment).not_to_contain_text("Todavía no hay novedades")

    expect(page.get_by_role("heading", name="Artículos")).to_be_visible()
    expect(page.locator("footer nav a[aria-current=true]")).to_have_text("Español")
    # Nothing left untranslated in the places a shopper reads.
    body = page.locator("main").inner_text()
    for english in ("Order ", "Delivered", "Carrier", "Tracking number", "Updates", "Items"):
        assert english not in body, f"{english!r} is still in English on the Spanish page:\n{body}"

    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=SCREENSHOT, full_page=True)
    # Nothing wider than a phone: no sideways scrolling.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


def test_tracking_page_in_english_when_asked(page: Page, server: str, delivered_order: int) -> None:
    page.goto(server + tracking_path(delivered_order) + "?lang=en")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", level=1)).to_have_text("Order #1001")
    shipment = page.locator("section.shipment")
    expect(shipment.get_by_role("heading", level=2)).to_have_text("Delivered")
    expect(shipment.locator("dt", has_text="Carrier")).to_be_visible()
    expect(shipment.locator("dt", has_text="Tracking number")).to_be_visible()
    expect(shipment.get_by_role("link", name=TRACKING_NUMBER)).to_be_visible()
    expect(shipment.locator("ol.progress > li")).to_have_text(
        ["Order confirmed", "In transit", "Out for delivery", "Delivered"])
    expect(shipment.locator("ol.timeline > li").first.locator("strong")).to_have_text("Delivered")

    # The language switcher goes back to Spanish on the same page.
    page.get_by_role("link", name="Español").click()
    expect(page.locator("html")).to_have_attribute("lang", "es")
    expect(page.get_by_role("heading", level=1)).to_have_text("Pedido #1001")


def test_tampered_token_is_a_clear_404(page: Page, server: str, delivered_order: int) -> None:
    token = tracking_path(delivered_order).removeprefix("/t/")
    payload, signature = token.rsplit(".", 1)
    # Change the signature's first character: the last one of base64 may only carry padding bits.
    forged = f"{payload}.{'A' if signature[0] != 'A' else 'B'}{signature[1:]}"
    for path in (f"/t/{forged}", "/t/not-a-token", f"/t/{token}x"):
        response = page.goto(server + path)
        assert response is not None and response.status == 404, path
        expect(page.get_by_role("heading", level=1)).to_have_text("404")
        expect(page.locator("main")).to_contain_text("This tracking link is not valid.")
        expect(page.get_by_role("link", name="Track your order")).to_have_attribute("href", "/track")
        html = page.content()
        assert "Traceback" not in html and "BadSignature" not in html and "werkzeug" not in html.lower()
        assert "#1001" not in html and EMAIL not in html


def test_lookup_finds_the_order_by_number_and_email(page: Page, server: str, delivered_order: int) -> None:
    page.goto(server + "/track")
    expect(page.get_by_role("heading", level=1)).to_have_text("Track your order")
    page.get_by_label("Order number").fill("1001")  # without the '#', and the email in another case
    page.get_by_label("Email").fill("Lucia.Martin@Example.com")
    page.get_by_role("button", name="Track").click()
    expect(page).to_have_url(server + tracking_path(delivered_order))
    expect(page.get_by_role("heading", level=1)).to_have_text("Pedido #1001")
    expect(page.locator("section.shipment h2")).to_have_text("Entregado")


def test_lookup_gives_one_neutral_answer_for_any_mismatch(page: Page, server: str, delivered_order: int) -> None:
    answers = []
    for number, email in ((ORDER_NUMBER, "someone.else@example.com"), ("#9999", EMAIL), ("#9999", "x@example.com")):
        page.goto(server + "/track")
        page.get_by_label("Order number").fill(number)
        page.get_by_label("Email").fill(email)
        page.get_by_role("button", name="Track").click()
        alert = page.get_by_role("alert")
        expect(alert).to_be_visible()
        expect(page).to_have_url(server + "/track")
        answers.append(alert.inner_text())
        # What was typed is kept, nothing about the order leaks.
        expect(page.get_by_label("Order number")).to_have_value(number)
        assert "Lucía" not in page.content() and "Correos" not in page.content()
    assert answers == ["We could not find an order with that number and email."] * 3


def test_lookup_form_in_spanish(page: Page, server: str, delivered_order: int) -> None:
    page.goto(server + "/track?lang=es")
    expect(page.locator("html")).to_have_attribute("lang", "es")
    expect(page.get_by_role("heading", level=1)).to_have_text("Seguir mi pedido")
    page.get_by_label("Número de pedido").fill("#1001")
    page.get_by_label("Correo electrónico").fill("nadie@example.com")
    page.get_by_role("button", name="Buscar mi pedido").click()
    expect(page.get_by_role("alert")).to_have_text(
        "No encontramos ningún pedido con ese número y ese correo electrónico.")


def test_connect_woocommerce_in_a_browser(page: Page, server: str, app: Flask, db: Any,
                                          fake_woocommerce: Any) -> None:
    """The merchant types the store address, approves on the store, and lands back on 'connected' (Spanish)."""
    before = app.config["APP_URL"], app.config["WOOCOMMERCE_ALLOW_INSECURE"]
    app.config.update(APP_URL=server)
    try:
        page.goto(server + "/woocommerce/connect?lang=es")
        expect(page.get_by_role("heading", level=1)).to_have_text("Conectar WooCommerce")
        page.get_by_label("Dirección de la tienda").fill("http://10.0.0.7")
        page.get_by_role("button", name="Conectar").click()
        expect(page.get_by_role("alert")).to_contain_text("https://")  # refused, with the reason
        app.config.update(WOOCOMMERCE_ALLOW_INSECURE=True)  # the fake store lives on loopback
        page.get_by_label("Dirección de la tienda").fill(fake_woocommerce.url)
        page.get_by_role("button", name="Conectar").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Postventa está conectado")
        expect(page.locator("main")).to_contain_text(f"{fake_woocommerce.url} está conectada")
        assert fake_woocommerce.callbacks[0]["status"] == 200
    finally:
        app.config.update(APP_URL=before[0], WOOCOMMERCE_ALLOW_INSECURE=before[1])
