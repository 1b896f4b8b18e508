"""Carriers on shipments: the platform's word, detection by number, the merchant's priority and override."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select

from app.models import Shipment, Shop
from app.services.ingest import claim_pending, process_events
from tests.app.test_embedded import session_token
from tests.conftest import load_fixture
from tests.fake_shopify import SHOP, FakeShopify

AMBIGUOUS = "100000000172"  # 12 digits: a valid FedEx number and a valid Purolator one


def shipped(post_shopify: Any, number: str, company: str | None, domain: str = "tienda-test.myshopify.com") -> None:
    fulfillment = load_fixture("shopify", "fulfillments_create.json")
    fulfillment.update(tracking_number=number, tracking_numbers=[number], tracking_company=company,
                       tracking_url=None, tracking_urls=[])
    post_shopify("orders/create", load_fixture("shopify", "orders_create.json"), "o1", domain=domain)
    post_shopify("fulfillments/create", fulfillment, "f1", domain=domain)
    while ids := claim_pending(100):
        process_events(ids)


def test_the_platforms_carrier_wins_and_gets_our_tracking_link(db: Any, shop: Any, post_shopify: Any) -> None:
    shipped(post_shopify, "PQ4F6P0703673180128000P", "Correos")
    s = db.session.scalar(select(Shipment))
    assert (s.carrier, s.carrier_code) == ("Correos", "correos")
    assert s.tracking_url == ("https://www.correos.es/es/es/herramientas/localizador/envios/detalle"
                              "?tracking-number=PQ4F6P0703673180128000P")


def test_without_a_carrier_the_number_says_which(db: Any, shop: Any, post_shopify: Any) -> None:
    shipped(post_shopify, "1Z 999 AA1 01 2345 6784", None)
    s = db.session.scalar(select(Shipment))
    assert (s.carrier, s.carrier_code) == ("UPS", "ups")
    assert s.tracking_url.startswith("https://www.ups.com/")


def test_the_merchants_priority_decides_an_ambiguous_number(db: Any, shop: Any, post_shopify: Any) -> None:
    shop.settings = {"carrier_priority": ["purolator"]}
    db.session.commit()
    shipped(post_shopify, AMBIGUOUS, None)
    assert db.session.scalar(select(Shipment)).carrier_code == "purolator"


def test_priority_and_override_through_the_embedded_api(app: Any, db: Any, client: Any, post_shopify: Any,
                                                        fake_shopify: FakeShopify) -> None:
    client.get("/shopify/install", query_string={"shop": SHOP, "id_token": session_token(app)})
    auth = {"Authorization": f"Bearer {session_token(app)}"}
    bad = client.put("/api/v1/settings/carrier-priority", json={"carriers": ["purolator", "pony-express"]},
                     headers=auth)
    assert bad.status_code == 400 and "pony-express" in bad.get_json()["error"]
    assert client.put("/api/v1/settings/carrier-priority", json={"carriers": ["purolator"]}).status_code == 401
    ok = client.put("/api/v1/settings/carrier-priority", json={"carriers": ["Purolator"]}, headers=auth)
    assert ok.get_json() == {"carriers": ["purolator"]}
    shipped(post_shopify, AMBIGUOUS, None, domain=SHOP)
    s = db.session.scalar(select(Shipment))
    assert s.carrier_code == "purolator"
    # The merchant knows this one went with FedEx: carrier and link change, and a later update keeps it.
    changed = client.put(f"/api/v1/shipments/{s.id}/carrier", json={"carrier": "fedex"}, headers=auth)
    assert changed.status_code == 200, changed.get_json()
    assert changed.get_json()["carrier_code"] == "fedex" and "fedex.com" in changed.get_json()["tracking_url"]
    update = load_fixture("shopify", "fulfillments_update.json")
    update.update(tracking_number=AMBIGUOUS, tracking_numbers=[AMBIGUOUS], tracking_company=None)
    post_shopify("fulfillments/update", update, "f2", domain=SHOP)
    process_events(claim_pending(10))
    db.session.expire_all()
    assert db.session.get(Shipment, s.id).carrier_code == "fedex"
    assert client.put(f"/api/v1/shipments/{s.id}/carrier", json={"carrier": "nope"},
                      headers=auth).status_code == 400
    assert client.put(f"/api/v1/shipments/{s.id + 999}/carrier", json={"carrier": "ups"},
                      headers=auth).status_code == 404
    assert db.session.scalar(select(Shop).where(Shop.domain == SHOP)).settings["carrier_priority"] == ["purolator"]


def test_cli_prints_the_candidates_as_json(app: Any) -> None:
    result = app.test_cli_runner().invoke(args=["carriers", "detect", AMBIGUOUS])
    assert result.exit_code == 0
    assert [m["code"] for m in json.loads(result.output)][:2] == ["fedex", "purolator"]
    assert json.loads(app.test_cli_runner().invoke(args=["carriers", "detect", "hello"]).output) == []


def test_faq_through_the_embedded_api(app: Any, db: Any, client: Any, fake_shopify: FakeShopify) -> None:
    client.get("/shopify/install", query_string={"shop": SHOP, "id_token": session_token(app)})
    auth = {"Authorization": f"Bearer {session_token(app)}"}
    assert client.put("/api/v1/settings/faq", json={"es": []}).status_code == 401
    bad = client.put("/api/v1/settings/faq", json={"de": [{"q": "?", "a": "!"}]}, headers=auth)
    assert bad.status_code == 400 and "languages" in bad.get_json()["error"]
    ok = client.put("/api/v1/settings/faq", json={"en": [{"q": "Do you ship to Hawaii?", "a": "Yes."}]},
                    headers=auth)
    assert ok.status_code == 200 and ok.get_json()["faq"]["en"][0]["q"] == "Do you ship to Hawaii?"
    assert db.session.scalar(select(Shop).where(Shop.domain == SHOP)).settings["faq"]["en"][0]["a"] == "Yes."


def test_merchant_tracking_updates_through_the_api(app: Any, db: Any, client: Any, post_shopify: Any,
                                                   fake_shopify: FakeShopify) -> None:
    from app.models import Message

    client.get("/shopify/install", query_string={"shop": SHOP, "id_token": session_token(app)})
    auth = {"Authorization": f"Bearer {session_token(app)}"}
    shipped(post_shopify, "PQ4F6P0703673180128000P", "Correos", domain=SHOP)
    s = db.session.scalar(select(Shipment))
    url = f"/api/v1/shipments/{s.id}/events"
    for bad, message in [({"status": "lost"}, "status must be one of"),
                         ({"status": "delivered", "occurred_at": "yesterday"}, "ISO 8601"),
                         ({"status": "delivered", "occurred_at": "2026-11-22T10:00:00"}, "time zone"),
                         ({"status": "delivered", "occurred_at": "2099-01-01T00:00:00+00:00"}, "future"),
                         ({"status": "delivered", "message": "x" * 501}, "at most 500"),
                         ([], "expected")]:
        resp = client.post(url, json=bad, headers=auth)
        assert resp.status_code == 400 and message in resp.get_json()["error"], message
    assert client.post(url, json={"status": "delivered"}).status_code == 401
    done = client.post(url, json={"status": "delivered", "message": "Entregado al conserje",
                                  "location": "Madrid", "occurred_at": "2026-11-22T18:00:00+01:00"}, headers=auth)
    assert done.status_code == 200 and done.get_json()["status"] == "delivered"
    db.session.expire_all()
    s = db.session.get(Shipment, s.id)
    assert [(e.status, e.location, e.raw_status) for e in s.events][-1] == ("delivered", "Madrid", "merchant")
    assert [m.kind for m in db.session.scalars(select(Message))].count("delivered") == 1
    again = client.post(url, json={"status": "in_transit", "occurred_at": "2026-11-22T19:00:00+01:00"},
                        headers=auth)
    assert again.status_code == 200 and again.get_json()["status"] == "delivered"  # never back from delivered
