"""Reconciliation: re-read recently updated orders, so a webhook that never arrived loses nothing."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from app.extensions import db
from app.models import Shop
from app.services.backfill import PageFetch, shopify_fetch
from app.services.orders import upsert_order
from connectors.base import NormalizeError

log = logging.getLogger(__name__)
# Re-read a little before the last run too: an order updated while that run was paging is not missed.
OVERLAP = timedelta(minutes=10)
FIRST_WINDOW = timedelta(days=1)


def window_start(shop: Shop, now: datetime) -> datetime:
    """From a little before the last run (or a day back, the first time)."""
    return (shop.reconciled_at or now - FIRST_WINDOW) - OVERLAP


def reapply(shop: Shop, fetch: PageFetch, started: datetime) -> int:
    """Apply every order the pages hold, as a webhook would (monotonic, emails at most once)."""
    seen = 0
    cursor: str | None = None
    while True:
        page = fetch(cursor)
        for make in page.orders:
            try:
                order = make()
                # News from before the install is history: stored like the backfill stores it, not announced.
                upsert_order(shop, order, notify=shop.installed_at is None or order.updated_at >= shop.installed_at)
            except NormalizeError as exc:
                log.warning("reconcile %s: order skipped: %s", shop.domain, exc)
                continue
            seen += 1
        db.session.commit()
        if not page.has_next:
            break
        cursor = page.cursor
    shop.reconciled_at = started
    db.session.commit()
    return seen


def reconcile(shop: Shop) -> int:
    """Re-read the Shopify shop's orders updated since the last run."""
    started = datetime.now(UTC)
    search = f"updated_at:>={window_start(shop, started).strftime('%Y-%m-%dT%H:%M:%SZ')}"
    return reapply(shop, shopify_fetch(shop, search), started)
