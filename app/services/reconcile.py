"""Reconciliation: re-read recently updated orders, so a webhook that never arrived loses nothing."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from app.extensions import db
from app.models import Shop
from app.services.backfill import order_page
from app.services.orders import upsert_order
from connectors.base import NormalizeError
from connectors.shopify.graphql_orders import normalize_graphql_order

log = logging.getLogger(__name__)
# Re-read a little before the last run too: an order updated while that run was paging is not missed.
OVERLAP = timedelta(minutes=10)
FIRST_WINDOW = timedelta(days=1)


def reconcile(shop: Shop) -> int:
    """Apply every order updated since the last run, as a webhook would (monotonic, emails at most once)."""
    started = datetime.now(UTC)
    since = (shop.reconciled_at or started - FIRST_WINDOW) - OVERLAP
    search = f"updated_at:>={since.strftime('%Y-%m-%dT%H:%M:%SZ')}"
    seen = 0
    cursor: str | None = None
    while True:
        page = order_page(shop, search, cursor)
        for node in page["nodes"]:
            try:
                order = normalize_graphql_order(node)
                # News from before the install is history: stored like the backfill stores it, not announced.
                upsert_order(shop, order, notify=shop.installed_at is None or order.updated_at >= shop.installed_at)
            except NormalizeError as exc:
                log.warning("reconcile %s: order skipped: %s", shop.domain, exc)
                continue
            seen += 1
        db.session.commit()
        if not page["pageInfo"]["hasNextPage"]:
            break
        cursor = page["pageInfo"]["endCursor"]
    shop.reconciled_at = started
    db.session.commit()
    return seen
