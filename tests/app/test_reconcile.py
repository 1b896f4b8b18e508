"""Reconciliation: orders whose webhooks never came are re-read, applied once, announced once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from app.models import Message, Order, Shop
from app.services.installs import save_install
from app.services.reconcile import reconcile
from connectors.shopify.oauth import Tokens
from jobs.dispatcher import shops_due_for_reconciliation
from tests.fake_shopify import SHOP, FakeShopify, graphql_order


def installed(db: Any) -> Shop:
    return save_install(SHOP, Tokens("shpat_0123456789abcdef", "read_orders",
                                     datetime.now(UTC) + timedelta(hours=1), "shprt_fedcba9876543210", None))


def test_missed_webhooks_are_recovered_and_announced_once(app: Any, db: Any, fake_shopify: FakeShopify) -> None:
    fake_shopify.throttle_next = 0
    fake_shopify.orders = [graphql_order(i) for i in range(3)]  # orders 0 and 2 shipped, nobody told us
    shop = installed(db)
    assert reconcile(shop) == 3
    assert db.session.scalar(select(func.count()).select_from(Order)) == 3
    assert sorted(m.kind for m in db.session.scalars(select(Message))) == ["shipped", "shipped"]
    assert fake_shopify.orders_queries[-1].startswith("updated_at:>=")
    # The next run sees the same orders again (overlap): nothing new is said.
    fake_shopify.orders[0] = graphql_order(0, delivered=True)
    fake_shopify.orders[0]["updatedAt"] = "2026-11-04T10:00:00Z"
    fake_shopify.orders[0]["fulfillments"][0]["updatedAt"] = "2026-11-04T10:00:00Z"
    reconcile(shop)
    assert sorted(m.kind for m in db.session.scalars(select(Message))) == ["delivered", "shipped", "shipped"]
    assert shop.reconciled_at is not None


def test_dispatcher_hands_out_reconciliation_once_per_interval(app: Any, db: Any) -> None:
    shop = installed(db)
    now = datetime.now(UTC)
    assert shops_due_for_reconciliation(app, now) == [shop.id]
    assert shops_due_for_reconciliation(app, now + timedelta(minutes=1)) == []
    later = now + timedelta(seconds=app.config["RECONCILE_INTERVAL_SECONDS"] + 1)
    assert shops_due_for_reconciliation(app, later) == [shop.id]
    shop.uninstalled_at = later
    db.session.commit()
    assert shops_due_for_reconciliation(app, later + timedelta(days=1)) == []
