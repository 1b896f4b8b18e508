"""The demo store: real, signed Shopify-shaped webhooks through the real endpoint."""

from __future__ import annotations

import json
import time
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Flask
from sqlalchemy import func, select

from app.extensions import db
from app.models import Order, Shop, WebhookEvent
from app.services.links import tracking_url
from app.services.shops import create_shop
from connectors.shopify import sign_webhook

DEMO_DOMAIN = "postventa-demo.myshopify.com"
BASE_ID = 7_340_000_000_000_000_000  # Shopify-sized ids, above 2**53

CUSTOMERS = [
    ("Lucía", "Fernández", "lucia@example.com", "es", "Calle de Alcalá 42", "Madrid", "28014", "ES", "Madrid"),
    ("James", "Carter", "james@example.com", "en", "500 Market St", "San Francisco", "94105", "US", "California"),
    ("Mateo", "Gómez", "mateo@example.com", "es-MX", "Av. Reforma 222", "Ciudad de México", "06600", "MX", "CDMX"),
    ("Olivia", "Brown", "olivia@example.com", "en", "12 King's Road", "London", "SW3 4RP", "GB", "England"),
    ("Valentina", "Ruiz", "valentina@example.com", "es", "Carrer de Mallorca 401", "Barcelona", "08013", "ES",
     "Barcelona"),
]
PRODUCTS = [("Camiseta de algodón orgánico", "M / Verde", "TEE-ORG-M-GRN", "24.90"),
            ("Taza de cerámica", None, "MUG-CER-01", "14.50"),
            ("Mochila urbana", "Negro", "BAG-URB-BLK", "69.00")]
# (final shipment_status sequence) per demo order; None = not shipped yet.
STORIES: list[list[str] | None] = [
    ["confirmed", "in_transit"],
    ["in_transit", "out_for_delivery", "delivered"],
    ["in_transit", "delivered"],
    ["in_transit", "failure"],
    None,
]
CARRIERS = [("Correos", "PK4F2Z0123456780T", "https://www.correos.es/es/es/herramientas/localizador/envios/detalle?tracking-number={}"),
            ("UPS", "1Z999AA10123456784", "https://www.ups.com/track?tracknum={}"),
            ("Estafeta", "8055241528464720099314", "https://www.estafeta.com/rastreo?guia={}"),
            ("Royal Mail", "AB123456785GB", "https://www.royalmail.com/track-your-item#/tracking-results/{}"),
            ("SEUR", "SEUR0000000001", "https://www.seur.com/livetracking/?segOnlineIdentificador={}")]


def _ts(dt: datetime) -> str:
    return dt.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _money(amount: str, currency: str) -> dict[str, Any]:
    return {"shop_money": {"amount": amount, "currency_code": currency},
            "presentment_money": {"amount": amount, "currency_code": currency}}


def order_payload(n: int, created: datetime, updated: datetime, fulfillments: list[dict[str, Any]]) -> dict[str, Any]:
    first, last, email, locale, street, city, zip_code, country, province = CUSTOMERS[n]
    currency = "MXN" if country == "MX" else "USD" if country == "US" else "GBP" if country == "GB" else "EUR"
    items = []
    total = 0.0
    for i, (title, variant, sku, price) in enumerate(PRODUCTS[: 1 + n % 3]):
        qty = 1 + (n + i) % 2
        total += float(price) * qty
        items.append({
            "id": BASE_ID + n * 100 + 10 + i,
            "admin_graphql_api_id": f"gid://shopify/LineItem/{BASE_ID + n * 100 + 10 + i}",
            "variant_id": BASE_ID + 9000 + i, "product_id": BASE_ID + 8000 + i, "title": title,
            "variant_title": variant, "name": f"{title} - {variant}" if variant else title, "sku": sku,
            "quantity": qty, "current_quantity": qty, "price": price, "price_set": _money(price, currency),
            "requires_shipping": True, "taxable": True, "fulfillable_quantity": 0 if fulfillments else qty,
            "fulfillment_status": "fulfilled" if fulfillments else None, "grams": 300, "vendor": "Postventa Demo",
        })
    total_s = f"{total:.2f}"
    address = {"first_name": first, "last_name": last, "name": f"{first} {last}", "address1": street,
               "address2": None, "city": city, "zip": zip_code, "province": province, "country": country,
               "country_code": country, "phone": None, "company": None}
    order_id = BASE_ID + n
    return {
        "id": order_id, "admin_graphql_api_id": f"gid://shopify/Order/{order_id}", "name": f"#D{1001 + n}",
        "order_number": 1001 + n, "number": 1 + n, "email": email, "contact_email": email,
        "created_at": _ts(created), "updated_at": _ts(updated), "processed_at": _ts(created),
        "cancelled_at": None, "cancel_reason": None, "closed_at": None, "currency": currency,
        "presentment_currency": currency, "customer_locale": locale, "financial_status": "paid",
        "fulfillment_status": "fulfilled" if fulfillments else None, "test": True,
        "total_price": total_s, "subtotal_price": total_s, "total_tax": "0.00",
        "total_price_set": _money(total_s, currency), "line_items": items,
        "shipping_address": address, "billing_address": address,
        "customer": {"id": BASE_ID + 5000 + n, "email": email, "first_name": first, "last_name": last,
                     "admin_graphql_api_id": f"gid://shopify/Customer/{BASE_ID + 5000 + n}"},
        "fulfillments": fulfillments, "refunds": [], "tags": "demo",
    }


def fulfillment_payload(n: int, created: datetime, updated: datetime, shipment_status: str) -> dict[str, Any]:
    carrier, number, url = CARRIERS[n]
    fid = BASE_ID + 3000 + n
    order = order_payload(n, created, updated, [])
    return {
        "id": fid, "admin_graphql_api_id": f"gid://shopify/Fulfillment/{fid}", "order_id": BASE_ID + n,
        "status": "success", "created_at": _ts(created), "updated_at": _ts(updated), "service": "manual",
        "shipment_status": shipment_status, "location_id": BASE_ID + 7000, "name": f"#D{1001 + n}.1",
        "tracking_company": carrier, "tracking_number": number, "tracking_numbers": [number],
        "tracking_url": url.format(number), "tracking_urls": [url.format(number)],
        "line_items": order["line_items"], "origin_address": {}, "receipt": {},
    }


def demo_webhooks(now: datetime) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(topic, event id, payload) in the order a real store would send them."""
    for n, story in enumerate(STORIES):
        created = now - timedelta(days=4, hours=n)
        yield "orders/create", f"demo-{n}-create", order_payload(n, created, created, [])
        if story is None:
            continue
        shipped = created + timedelta(hours=20)
        yield "fulfillments/create", f"demo-{n}-ful-0", fulfillment_payload(n, shipped, shipped, story[0])
        for step, status in enumerate(story[1:], start=1):
            at = shipped + timedelta(days=step, hours=3)
            yield "fulfillments/update", f"demo-{n}-ful-{step}", fulfillment_payload(n, shipped, at, status)


def run_demo(app: Flask, url: str | None = None, wait: float = 0.0) -> Iterator[str]:
    """Create the demo shop if needed and post every demo webhook, signed as Shopify signs."""
    with app.app_context():
        shop = db.session.scalar(select(Shop).where(Shop.platform == "shopify", Shop.domain == DEMO_DOMAIN))
        if shop is None:
            shop = create_shop("shopify", DEMO_DOMAIN, "Tienda Demo").shop
            shop.settings = {"primary_color": "#1f6f5c", "support_email": "ayuda@example.com"}
            db.session.commit()
        yield f"demo shop: {DEMO_DOMAIN} (id {shop.id})"
        secret = app.config["SHOPIFY_API_SECRET"]
    client = app.test_client() if url is None else None
    stored = 0
    for topic, event_id, payload in demo_webhooks(datetime.now(UTC)):
        body = json.dumps(payload).encode()
        headers = {"Content-Type": "application/json", "X-Shopify-Topic": topic, "X-Shopify-Shop-Domain": DEMO_DOMAIN,
                   "X-Shopify-Event-Id": event_id, "X-Shopify-Webhook-Id": event_id,
                   "X-Shopify-Hmac-Sha256": sign_webhook(body, secret), "X-Shopify-API-Version": "2025-10"}
        if client is not None:
            resp = client.post("/webhooks/shopify", data=body, headers=headers)
            status, answer = resp.status_code, resp.get_json()
        else:
            req = urllib.request.Request(f"{url.rstrip('/')}/webhooks/shopify", data=body, headers=headers)  # type: ignore[union-attr]
            with urllib.request.urlopen(req, timeout=10) as r:  # noqa: S310 - operator-given URL
                status, answer = r.status, json.loads(r.read())
        if status != 200:
            raise RuntimeError(f"demo webhook {event_id} refused: {status} {answer}")
        stored += answer.get("status") == "stored"
    yield f"webhooks posted: {stored} new (the worker turns them into emails within seconds)"
    with app.app_context():
        if wait > 0 and not _wait_for_worker(shop.id, wait):
            yield f"  the worker has not processed them after {wait:.0f} s; is `flask --app wsgi worker` running?"
        yield from _tracking_links(shop.id)
        yield f"emails: {app.config['APP_URL']}/admin/outbox (with POSTVENTA_DEV_ADMIN=1)"


def _wait_for_worker(shop_id: int, seconds: float) -> bool:
    """True once no event of the shop is pending any more."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        pending = db.session.scalar(
            select(func.count()).select_from(WebhookEvent)
            .where(WebhookEvent.shop_id == shop_id, WebhookEvent.status == "pending")
        )
        db.session.rollback()
        if not pending:
            return True
        time.sleep(0.25)
    return False


def _tracking_links(shop_id: int) -> Iterator[str]:
    orders = db.session.scalars(select(Order).where(Order.shop_id == shop_id).order_by(Order.number)).all()
    for order in orders:
        yield f"  {order.number}: {tracking_url(order.id)}"
    if not orders:
        yield "  (tracking pages appear here once the worker has processed the webhooks)"
