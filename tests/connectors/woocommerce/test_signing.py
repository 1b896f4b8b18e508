"""WooCommerce webhook signatures, the activation ping, dedupe keys, and the connector's webhook half."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from pathlib import Path
from typing import Any

import pytest

from connectors.base import (
    Connector,
    NormalizeError,
    NotSupported,
    OrderChange,
    OrderDeleted,
    ReturnRequest,
    ReturnShipping,
    ShopAccess,
)
from connectors.model import ReturnLine
from connectors.woocommerce import WooCommerceConnector, event_key, is_ping, sign_webhook
from connectors.woocommerce.signing import verify_webhook

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "woocommerce"
SECRET = "wc_secret_5f2b"
BODY = b'{"id":1482}'
# Worked out by hand once: base64(HMAC-SHA256(key=b"wc_secret_5f2b", msg=b'{"id":1482}')).
EXPECTED_SIGNATURE = "okIFKiqORLXDD6g1GDWh2Upu5kdbzq9KBsSOja51c/I="


def raw(name: str) -> bytes:
    """A fixture as the bytes WooCommerce would POST (wp_json_encode: escaped slashes and unicode)."""
    data = json.loads((FIXTURES / name).read_text(encoding="utf-8"))
    return json.dumps(data, separators=(",", ":")).replace("/", "\\/").encode()


# --- signatures -----------------------------------------------------------------------------------------


def test_signature_is_base64_hmac_sha256_of_the_raw_body() -> None:
    independent = base64.b64encode(hmac.new(SECRET.encode(), BODY, hashlib.sha256).digest()).decode()
    assert independent == EXPECTED_SIGNATURE
    assert sign_webhook(BODY, SECRET) == EXPECTED_SIGNATURE


def test_verify_accepts_the_right_signature_only() -> None:
    body = raw("order_created_processing.json")
    signature = sign_webhook(body, SECRET)
    assert verify_webhook(body, signature, SECRET)
    assert verify_webhook(body, f"  {signature}\n", SECRET)  # header whitespace
    assert not verify_webhook(body + b" ", signature, SECRET)  # the raw bytes, not the parsed JSON
    assert not verify_webhook(body, signature, SECRET + "x")
    assert not verify_webhook(body, signature.lower(), SECRET)
    assert not verify_webhook(BODY, EXPECTED_SIGNATURE[:-2], SECRET)


@pytest.mark.parametrize("signature", [None, "", "   ", "ñññ", "\udcff", "okIFKiqORLXDD6g1GDWh2Upu5kdbzq9KBsSOja51c/I"])
def test_verify_is_false_on_missing_or_junk_signatures(signature: str | None) -> None:
    assert verify_webhook(BODY, signature, SECRET) is False


def test_verify_is_false_without_a_secret() -> None:
    assert verify_webhook(BODY, sign_webhook(BODY, ""), "") is False


# --- the activation ping --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content_type", "body", "expected"),
    [
        ("application/x-www-form-urlencoded", b"webhook_id=17", 17),
        ("application/x-www-form-urlencoded; charset=UTF-8", b"webhook_id=17", 17),
        ("Application/X-WWW-Form-Urlencoded", b"webhook_id=9\n", 9),
        (None, b"webhook_id=4021", 4021),  # some transports send no content type
        ("", b"webhook_id=3", 3),
        ("application/json", b"webhook_id=17", None),
        ("application/x-www-form-urlencoded", b'{"webhook_id":17}', None),
        ("application/json", BODY, None),
        (None, BODY, None),
        ("application/x-www-form-urlencoded", b"webhook_id=", None),
        ("application/x-www-form-urlencoded", b"webhook_id=17&x=1", None),
        ("application/x-www-form-urlencoded", b"webhook_id=-1", None),
        ("application/x-www-form-urlencoded", b"", None),
        ("text/plain", b"webhook_id=17", None),
    ],
)
def test_ping_recognition(content_type: str | None, body: bytes, expected: int | None) -> None:
    assert is_ping(content_type, body) == expected


def test_a_real_delivery_is_not_a_ping() -> None:
    assert is_ping("application/json", raw("order_created_processing.json")) is None


# --- the dedupe key -------------------------------------------------------------------------------------


def _payload(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / name).read_text(encoding="utf-8"))
    return data


def test_event_key_shape() -> None:
    payload = _payload("order_created_processing.json")
    body = raw("order_created_processing.json")
    key = event_key("order.created", payload, body, "6c0a6d1e0f2b")
    assert key == f"order:1482:2026-11-20T10:15:34:{hashlib.sha256(body).hexdigest()[:16]}"
    assert len(key) <= 255


def test_event_key_identical_redelivery_collides() -> None:
    payload = _payload("order_updated_completed_tracking.json")
    body = raw("order_updated_completed_tracking.json")
    first = event_key("order.updated", payload, body, "aaa")
    # WooCommerce's delivery id changes with the second; an identical body is the same change.
    assert event_key("order.updated", payload, body, "bbb") == first
    assert event_key("order.updated", json.loads(body), body, None) == first


def test_event_key_different_content_never_collapses() -> None:
    """Two saves in the same second share date_modified (and delivery id) but not the body."""
    payload = _payload("order_updated_completed_tracking.json")
    body = raw("order_updated_completed_tracking.json")
    changed = dict(payload, customer_note="Dejar en conserjería")
    changed_body = json.dumps(changed).encode()
    assert payload["date_modified_gmt"] == changed["date_modified_gmt"]
    before = event_key("order.updated", payload, body, "same")
    assert before != event_key("order.updated", changed, changed_body, "same")


def test_event_key_for_other_orders_and_dates() -> None:
    created = _payload("order_created_processing.json")
    completed = _payload("order_updated_completed_tracking.json")
    keys = {
        event_key("order.created", created, raw("order_created_processing.json"), None),
        event_key("order.updated", completed, raw("order_updated_completed_tracking.json"), None),
        event_key("order.updated", _payload("order_cancelled.json"), raw("order_cancelled.json"), None),
    }
    assert len(keys) == 3
    assert all(k.startswith("order:") for k in keys)


def test_event_key_for_deletions() -> None:
    body = raw("order_deleted.json")
    digest = hashlib.sha256(body).hexdigest()[:16]
    assert event_key("order.deleted", {"id": 1482}, body, None) == f"order:1482:deleted:{digest}"
    first = event_key("order.deleted", {"id": 1482}, body, "d41d8cd98f00")
    assert first == f"order:1482:deleted:d41d8cd98f00:{digest}"
    # The same delivery again collides; binning the order again after a restore does not.
    assert event_key("order.deleted", {"id": 1482}, body, "d41d8cd98f00") == first
    assert event_key("order.deleted", {"id": 1482}, body, "0cc175b9c0f1") != first
    assert event_key("order.deleted", {"id": 1483}, b'{"id":1483}', "d41d8cd98f00") != first


def test_event_key_is_bounded_and_never_raises_on_odd_payloads() -> None:
    long_key = event_key("order.updated", {"id": "9" * 400, "date_modified_gmt": "x" * 400}, b"{}", None)
    assert len(long_key) <= 255
    assert long_key.startswith("order:")
    assert event_key("order.updated", {"id": "9" * 400, "date_modified_gmt": "x" * 400}, b"{}", None) == long_key
    for payload in [{}, {"id": None}, {"id": True, "date_modified_gmt": 5}, [], "x"]:
        key = event_key("order.updated", payload, b"[]", None)  # type: ignore[arg-type]
        assert key.endswith(hashlib.sha256(b"[]").hexdigest()[:16])
        assert len(key) <= 255


# --- the connector --------------------------------------------------------------------------------------


def test_connector_satisfies_the_protocol() -> None:
    connector = WooCommerceConnector()
    assert isinstance(connector, Connector)
    assert connector.name == "woocommerce"
    assert connector.topics == frozenset({"order.created", "order.updated", "order.deleted", "order.restored"})


def test_connector_verifies_webhooks() -> None:
    connector = WooCommerceConnector()
    assert connector.verify_webhook(BODY, EXPECTED_SIGNATURE, SECRET)
    assert not connector.verify_webhook(BODY, None, SECRET)
    assert not connector.verify_webhook(BODY, EXPECTED_SIGNATURE, "other")


@pytest.mark.parametrize("topic", ["order.created", "order.updated", "order.restored"])
def test_order_topics_give_an_order_change(topic: str) -> None:
    change = WooCommerceConnector().normalize_webhook(topic, _payload("order_updated_completed_tracking.json"))
    assert isinstance(change, OrderChange)
    assert change.order.external_id == "1482"
    assert change.order.shipments[0].tracking_number == "PQ4F6P0703673180128000P"


@pytest.mark.parametrize("body", [{"id": 1482}, {"id": "1482"}])
def test_order_deleted(body: dict[str, Any]) -> None:
    assert WooCommerceConnector().normalize_webhook("order.deleted", body) == OrderDeleted("1482")
    assert WooCommerceConnector().normalize_webhook("order.deleted", _payload("order_deleted.json")) == OrderDeleted(
        "1482"
    )


@pytest.mark.parametrize("body", [{}, {"id": None}, {"id": 0}, {"id": True}, {"id": 1.5}, {"id": "x"}, [], None])
def test_order_deleted_with_a_wrong_shape(body: Any) -> None:
    with pytest.raises(NormalizeError):
        WooCommerceConnector().normalize_webhook("order.deleted", body)


@pytest.mark.parametrize("topic", ["product.updated", "customer.created", "action.woocommerce_add_to_cart", ""])
def test_unsupported_topics(topic: str) -> None:
    with pytest.raises(NormalizeError, match="unsupported WooCommerce topic"):
        WooCommerceConnector().normalize_webhook(topic, {"id": 1})


def test_order_topic_with_a_bad_payload() -> None:
    with pytest.raises(NormalizeError, match=r"order\.line_items\[0\]\.quantity: expected an integer"):
        payload = _payload("order_created_processing.json")
        payload["line_items"][0]["quantity"] = "2"
        WooCommerceConnector().normalize_webhook("order.updated", payload)


def test_returns_are_not_supported_by_woocommerce_core() -> None:
    connector = WooCommerceConnector()
    access = ShopAccess(domain="tienda.example.es", access_token="ck_x:cs_y")
    request = ReturnRequest("1482", (ReturnLine("5202", 1, reason="size"),), idempotency_key="k")
    calls = [
        lambda: connector.create_return(access, request),
        lambda: connector.approve_return(access, "r1"),
        lambda: connector.decline_return(access, "r1", "no"),
        lambda: connector.add_return_shipping(access, "r1", ReturnShipping(tracking_number="PQ4F")),
    ]
    for call in calls:
        with pytest.raises(NotSupported, match="no returns API"):
            call()
