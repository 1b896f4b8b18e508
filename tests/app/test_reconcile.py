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
    shop = installed(db)
    just_now = (datetime.now(UTC) + timedelta(seconds=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    fake_shopify.orders = [graphql_order(i) | {"updatedAt": just_now} for i in range(3)]
    fake_shopify.orders.append(graphql_order(3) | {"updatedAt": "2026-01-01T00:00:00Z"})  # old news: not re-read
    for o in fake_shopify.orders[:3]:
        for f in o["fulfillments"]:
            f["updatedAt"] = just_now  # orders 0 and 2 shipped after the install, and nobody told us
    assert reconcile(shop) == 3
    assert db.session.scalar(select(func.count()).select_from(Order)) == 3
    assert sorted(m.kind for m in db.session.scalars(select(Message))) == ["shipped", "shipped"]
    assert fake_shopify.orders_queries[-1].startswith("updated_at:>=")
    # The next run sees the same orders again (overlap): nothing new is said.
    fake_shopify.orders[0] = graphql_order(0, delivered=True)
    later = (datetime.now(UTC) + timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%SZ")
    fake_shopify.orders[0]["updatedAt"] = later
    fake_shopify.orders[0]["fulfillments"][0]["updatedAt"] = later
    reconcile(shop)
    assert sorted(m.kind for m in db.session.scalars(select(Message))) == ["delivered", "shipped", "shipped"]
    assert shop.reconciled_at is not None


def test_dispatcher_hands_out_reconciliation_once_per_interval(app: Any, db: Any) -> None:
    shop = installed(db)
    now = datetime.now(UTC)
    assert shops_due_for_reconciliation(app, now) == [(shop.id, "shopify")]
    assert shops_due_for_reconciliation(app, now + timedelta(minutes=1)) == []
    later = now + timedelta(seconds=app.config["RECONCILE_INTERVAL_SECONDS"] + 1)
    assert shops_due_for_reconciliation(app, later) == [(shop.id, "shopify")]
    shop.uninstalled_at = later
    db.session.commit()
    assert shops_due_for_reconciliation(app, later + timedelta(days=1)) == []
