"""Importing a shop's recent orders page by page, resumable; each platform only says how to fetch a page."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

from flask import current_app
from sqlalchemy import select

from app.extensions import db
from app.models import Backfill, Shop
from app.services import installs
from app.services.orders import upsert_order
from connectors import model
from connectors.base import NormalizeError
from connectors.shopify.admin import ShopifyAdminClient
from connectors.shopify.graphql_orders import ORDERS_COUNT_QUERY, ORDERS_QUERY, normalize_graphql_order

log = logging.getLogger(__name__)
PAGE_SIZE = 100
DEFAULT_DAYS = 60


@dataclass(frozen=True)
class OrdersPage:
    """One page of a platform's orders, each normalised on demand so that one odd order can be skipped."""

    orders: Sequence[Callable[[], model.Order]]
    cursor: str | None  # where the next page starts
    has_next: bool
    total: int | None = None  # how many orders the whole import holds, when the page says


PageFetch = Callable[[str | None], OrdersPage]


def start(shop: Shop, days: int = DEFAULT_DAYS) -> Backfill:
    """The shop's unfinished backfill (to resume), or a new one over the last `days` days."""
    running = db.session.scalar(
        select(Backfill).where(Backfill.shop_id == shop.id, Backfill.status == "running").order_by(Backfill.id))
    if running is not None:
        return running
    backfill = Backfill(shop_id=shop.id, status="running", since=datetime.now(UTC) - timedelta(days=days),
                        orders=0, skipped=0, pages=0)
    db.session.add(backfill)
    db.session.commit()
    return backfill


def _client(shop: Shop) -> ShopifyAdminClient:
    # Asked per page: a long import outlives an access token, which is refreshed on the way.
    return ShopifyAdminClient(shop.domain, installs.access_token(shop), current_app.config.get("SHOPIFY_BASE_URL"))


def order_page(shop: Shop, search: str, after: str | None) -> dict[str, Any]:
    """One page of the shop's orders matching a search (e.g. created_at:>=...), from a cursor."""
    result: dict[str, Any] = _client(shop).graphql(ORDERS_QUERY, {"first": PAGE_SIZE, "after": after,
                                                                 "query": search})["orders"]
    return result


def run(backfill_id: int, on_page: Callable[[Backfill], None] | None = None) -> Backfill:
    """Import page after page from the saved cursor; each page is committed with its cursor."""
    backfill = db.session.get(Backfill, backfill_id)
    if backfill is None:
        raise LookupError(f"no backfill {backfill_id}")
    shop = db.session.get(Shop, backfill.shop_id)
    assert shop is not None  # the foreign key guarantees it
    try:
        if shop.platform == "woocommerce":
            from app.services import woocommerce

            fetch = woocommerce.page_fetch(shop, backfill.since)
        else:
            fetch = _shopify_fetch(shop, backfill)
        return _import(shop, backfill, fetch, on_page)
    except Exception as exc:  # kept on the row for the admin, then raised for RQ's retry
        db.session.rollback()
        backfill.error = f"{type(exc).__name__}: {exc}"[:2000]
        db.session.commit()
        raise


def shopify_fetch(shop: Shop, search: str) -> PageFetch:
    """Pages of the shop's orders matching a search, through the GraphQL Admin API."""

    def fetch(cursor: str | None) -> OrdersPage:
        page = order_page(shop, search, cursor)
        return OrdersPage([partial(normalize_graphql_order, node) for node in page["nodes"]],
                          page["pageInfo"]["endCursor"] or cursor, bool(page["pageInfo"]["hasNextPage"]))

    return fetch


def _shopify_fetch(shop: Shop, backfill: Backfill) -> PageFetch:
    search = f"created_at:>={backfill.since.strftime('%Y-%m-%dT%H:%M:%SZ')}"
    if backfill.total is None:
        counted = _client(shop).graphql(ORDERS_COUNT_QUERY, {"query": search})
        backfill.total = int((counted.get("ordersCount") or {}).get("count") or 0)
        db.session.commit()
    return shopify_fetch(shop, search)


def _import(shop: Shop, backfill: Backfill, fetch: PageFetch, on_page: Callable[[Backfill], None] | None) -> Backfill:
    while backfill.status == "running":
        page = fetch(backfill.cursor)
        if page.total is not None:
            backfill.total = page.total
        for make in page.orders:
            try:
                upsert_order(shop, make(), notify=False)
            except NormalizeError as exc:  # one odd order must not stop the import
                log.warning("backfill %s: order skipped: %s", backfill.id, exc)
                backfill.skipped += 1
                continue
            backfill.orders += 1
        backfill.pages += 1
        backfill.cursor = page.cursor
        backfill.updated_at = datetime.now(UTC)
        backfill.error = None
        if not page.has_next:
            backfill.status, backfill.finished_at = "done", datetime.now(UTC)
        db.session.commit()
        if on_page is not None:
            on_page(backfill)
    return backfill
