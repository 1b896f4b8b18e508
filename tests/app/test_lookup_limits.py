"""The order lookup is rate-limited per address and per order number: no enumerating orders or emails."""

from __future__ import annotations

from typing import Any

from tests.conftest import load_fixture


def lookup(client: Any, order: str, email: str, ip: str = "203.0.113.7") -> Any:
    return client.post("/track", data={"order": order, "email": email}, environ_base={"REMOTE_ADDR": ip})


def test_an_address_gets_ten_tries_a_minute(db: Any, shop: Any, client: Any, post_shopify: Any) -> None:
    from app.services.ingest import claim_pending, process_events

    post_shopify("orders/create", load_fixture("shopify", "orders_create.json"), "e1")
    process_events(claim_pending(10))
    for i in range(10):
        resp = lookup(client, "1001", f"guess{i}@example.com")
        assert resp.status_code == 200 and "could not find an order" in resp.get_data(as_text=True)
    refused = lookup(client, "1001", "lucia.martin@example.com")  # even the right answer, now
    assert refused.status_code == 429
    assert "Too many attempts" in refused.get_data(as_text=True)
    assert client.get("/track", environ_base={"REMOTE_ADDR": "203.0.113.7"}).status_code == 200  # the form stays
    other = lookup(client, "1001", "lucia.martin@example.com", ip="198.51.100.9")
    assert other.status_code == 302  # another shopper is not affected


def test_one_order_number_gets_twenty_tries_an_hour_from_anywhere(db: Any, shop: Any, client: Any) -> None:
    for i in range(20):
        assert lookup(client, "#1001", f"g{i}@example.com", ip=f"198.51.100.{i}").status_code == 200
    assert lookup(client, "1001", "g@example.com", ip="192.0.2.1").status_code == 429  # "#1001" and "1001" alike
    assert lookup(client, "1002", "g@example.com", ip="192.0.2.1").status_code == 200


def test_refusal_is_in_the_shoppers_language(db: Any, client: Any) -> None:
    for i in range(10):
        client.post("/track?lang=es", data={"order": str(i), "email": "a@b.c"})
    resp = client.post("/track?lang=es", data={"order": "11", "email": "a@b.c"})
    assert resp.status_code == 429 and "Demasiados intentos" in resp.get_data(as_text=True)
