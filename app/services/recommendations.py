"""Products to suggest on the tracking page: the store's best sellers lately, not already in this order."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

from sqlalchemy import func, select

from app.extensions import db
from app.models import LineItem, Order, Shop

WINDOW = timedelta(days=90)
CACHE_SECONDS = 600.0  # best sellers change slowly; the tracking page must stay fast
_cache: dict[int, tuple[float, list[tuple[str, str]]]] = {}
_lock = threading.Lock()


@dataclass(frozen=True)
class Recommendation:
    title: str
    url: str  # the store's own product search for it: order payloads carry no product page address


def _best_sellers(shop_id: int, limit: int) -> list[tuple[str, str]]:
    now = time.monotonic()
    with _lock:
        hit = _cache.get(shop_id)
    if hit is not None and hit[0] > now:
        return hit[1]
    since = datetime.now(UTC) - WINDOW
    rows = db.session.execute(
        select(LineItem.product_id, func.max(LineItem.title), func.sum(LineItem.quantity).label("sold"))
        .join(Order).where(Order.shop_id == shop_id, Order.placed_at >= since, LineItem.product_id.is_not(None),
                           Order.cancelled_at.is_(None))
        .group_by(LineItem.product_id).order_by(func.sum(LineItem.quantity).desc(), LineItem.product_id)
        .limit(limit)).all()
    found = [(str(product), str(title)) for product, title, _ in rows]
    with _lock:
        _cache[shop_id] = (now + CACHE_SECONDS, found)
    return found


def best_sellers(shop_id: int, limit: int) -> list[tuple[str, str]]:
    """(product id, title) as for_order() sees them now: a cached tracking page is valid while these are equal."""
    return _best_sellers(shop_id, limit)


def storefront_search(shop: Shop, title: str) -> str:
    if shop.platform == "woocommerce":
        return f"{shop.store_url or shop.domain}/?s={quote(title)}&post_type=product"
    return f"https://{shop.domain}/search?q={quote(title)}&type=product"


def for_order(shop: Shop, order: Order, limit: int = 3) -> list[Recommendation]:
    bought = {li.product_id for li in order.line_items}
    picks = [(p, t) for p, t in _best_sellers(shop.id, limit + len(bought)) if p not in bought][:limit]
    return [Recommendation(title, storefront_search(shop, title)) for _, title in picks]


def forget(shop_id: int | None = None) -> None:
    """Drop cached best sellers (tests, and after a shop's data is erased)."""
    with _lock:
        if shop_id is None:
            _cache.clear()
        else:
            _cache.pop(shop_id, None)
