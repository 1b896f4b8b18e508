"""Refunds and returns the platform reports: stored once, and a return never goes back a stage."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import func, select

from app.models import Refund, Return, WebhookEvent
from tests.app.test_ingest import run_pending
from tests.conftest import load_fixture


def statuses(db: Any) -> list[str | None]:
    return [r.platform_status for r in db.session.scalars(select(Return))]


def test_refund_webhook_is_stored_once(db: Any, shop: Any, post_shopify: Any) -> None:
    post_shopify("orders/create", load_fixture("shopify", "orders_create.json"), "o1")
    refund = load_fixture("shopify", "refunds_create.json")
    assert post_shopify("refunds/create", refund, "r1").status_code == 200
    assert post_shopify("refunds/create", refund, "r1-retry-with-new-id").status_code == 200
    run_pending(db)
    (row,) = db.session.scalars(select(Refund))
    assert (row.external_id, row.amount, row.currency, row.note) == (
        "1029384756102938475", Decimal("29.95"), "EUR", "Talla equivocada")
    # The same refund, seen again inside a later order payload, is not a second refund.
    order = load_fixture("shopify", "orders_updated.json")
    order["refunds"] = [refund]
    order["updated_at"] = "2026-11-12T16:21:00+01:00"
    post_shopify("orders/updated", order, "o2")
    run_pending(db)
    assert db.session.scalar(select(func.count()).select_from(Refund)) == 1


def test_refund_before_its_order_waits_for_it(db: Any, shop: Any, post_shopify: Any) -> None:
    post_shopify("refunds/create", load_fixture("shopify", "refunds_create.json"), "r1")
    run_pending(db)
    event = db.session.scalar(select(WebhookEvent))
    assert event.status == "pending" and "not stored yet" in event.error
    assert db.session.scalar(select(func.count()).select_from(Refund)) == 0


def test_return_lifecycle_moves_forward_only(db: Any, shop: Any, post_shopify: Any) -> None:
    post_shopify("orders/create", load_fixture("shopify", "orders_create.json"), "o1")
    post_shopify("returns/request", load_fixture("shopify", "returns_request.json"), "t1")
    run_pending(db)
    (ret,) = db.session.scalars(select(Return))
    assert (ret.external_id, ret.name, ret.platform_status) == ("9182736450", "#1001-R1", "requested")
    assert ret.lines == [{"line_item_id": "15678901234567891", "quantity": 1, "reason": "size_too_small",
                          "note": "Me queda pequeña, ¿puedo cambiarla por una L?"}]
    # Closed arrives before approved (webhooks are not ordered): the late approval does not reopen it.
    post_shopify("returns/close", load_fixture("shopify", "returns_close.json"), "t3")
    post_shopify("returns/approve", load_fixture("shopify", "returns_approve.json"), "t2")
    run_pending(db)
    assert statuses(db) == ["closed"]
    post_shopify("returns/reopen", load_fixture("shopify", "returns_reopen.json"), "t4")
    run_pending(db)
    assert statuses(db) == ["open"]
    assert db.session.scalar(select(Return)).lines[0]["quantity"] == 1  # a line-less body keeps the lines


def test_return_for_a_declined_request(db: Any, shop: Any, post_shopify: Any) -> None:
    post_shopify("orders/create", load_fixture("shopify", "orders_create.json"), "o1")
    post_shopify("returns/decline", load_fixture("shopify", "returns_decline.json"), "t1")
    post_shopify("returns/request", load_fixture("shopify", "returns_request.json"), "t0")
    run_pending(db)
    assert statuses(db) == ["declined"]


def test_bad_return_body_is_kept_as_failed(db: Any, shop: Any, post_shopify: Any) -> None:
    body = load_fixture("shopify", "returns_request.json")
    body["status"] = "lost"
    post_shopify("returns/request", body, "t1")
    run_pending(db)
    event = db.session.scalar(select(WebhookEvent))
    assert event.status == "failed" and "unknown return status" in event.error
