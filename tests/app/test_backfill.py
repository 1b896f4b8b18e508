"""Backfill: 500 orders across pages, a throttled page, a crash and a resume; nobody is emailed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from app.models import Backfill, Message, Order, Shipment, Shop
from app.services import backfill
from app.services.installs import save_install
from connectors.shopify.admin import AdminApiError
from connectors.shopify.oauth import Tokens
from tests.fake_shopify import SHOP, FakeShopify, graphql_order


def installed_shop(db: Any) -> Shop:
    tokens = Tokens("shpat_0123456789abcdef", "read_orders", datetime.now(UTC) + timedelta(hours=1),
                    "shprt_fedcba9876543210", None)
    return save_install(SHOP, tokens)


def count(db: Any, model: Any) -> int:
    return int(db.session.scalar(select(func.count()).select_from(model)))


def test_backfill_imports_every_page_resumes_after_a_crash_and_emails_nobody(
        app: Any, db: Any, fake_shopify: FakeShopify) -> None:
    fake_shopify.throttle_next = 0
    fake_shopify.orders = [graphql_order(i, delivered=i % 4 == 0) for i in range(500)]
    fake_shopify.fail_orders_call = 4  # the 4th page request fails: the process "crashes" there
    shop = installed_shop(db)
    run = backfill.start(shop)
    with pytest.raises(AdminApiError):
        backfill.run(run.id)
    db.session.expire_all()
    crashed = db.session.get(Backfill, run.id)
    assert (crashed.status, crashed.orders, crashed.pages, crashed.total) == ("running", 200, 2, 500)
    assert "Internal error" in crashed.error
    # Started again (the job's retry, or `flask backfill`): it resumes from the saved cursor.
    again = backfill.start(shop)
    assert again.id == run.id
    done = backfill.run(again.id)
    assert (done.status, done.orders, done.pages, done.skipped) == ("done", 500, 5, 0)
    assert count(db, Order) == 500
    assert count(db, Shipment) == 250
    assert count(db, Message) == 0  # history is stored, not announced
    order = db.session.scalar(select(Order).where(Order.number == "#5004"))
    assert order.external_id == str(5_800_000_000_000_000_004)  # the id webhooks use, not the GID
    assert order.shipments[0].status == "delivered" and order.shipments[0].carrier == "Correos"
    assert all(q.startswith("created_at:>=") for q in fake_shopify.orders_queries)


def test_backfilled_order_then_webhook_is_the_same_order(app: Any, db: Any, fake_shopify: FakeShopify,
                                                         post_shopify: Any) -> None:
    fake_shopify.throttle_next = 0
    fake_shopify.orders = [graphql_order(0)]
    shop = installed_shop(db)
    backfill.run(backfill.start(shop).id)
    from tests.conftest import load_fixture

    payload = load_fixture("shopify", "orders_updated.json")
    payload["id"] = 5_800_000_000_000_000_000
    payload["updated_at"] = "2026-11-05T10:00:00+01:00"
    post_shopify("orders/updated", payload, "w1", domain=SHOP)
    from app.services.ingest import claim_pending, process_events

    process_events(claim_pending(10))
    assert count(db, Order) == 1


def test_cli_backfill_shows_progress_and_refuses_unknown_shops(app: Any, db: Any, fake_shopify: FakeShopify) -> None:
    fake_shopify.throttle_next = 0
    fake_shopify.orders = [graphql_order(i) for i in range(120)]
    installed_shop(db)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["backfill", SHOP])
    assert result.exit_code == 0, result.output
    assert "done: 120 orders in 2 pages" in result.output
    missing = runner.invoke(args=["backfill", "nadie.myshopify.com"])
    assert missing.exit_code != 0 and "no shop" in missing.output
