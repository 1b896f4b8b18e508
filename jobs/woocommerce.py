"""Jobs that call one WooCommerce store's REST API."""

from __future__ import annotations

from typing import Any

from app.extensions import db
from app.models import Shop
from app.queue import RETRY, queue
from jobs.context import job_app


def _connected(shop_id: int) -> Shop | None:
    shop = db.session.get(Shop, shop_id)
    if shop is None or shop.uninstalled_at is not None or shop.credentials_enc is None:
        return None
    return shop


def after_connect(shop_id: int) -> int:
    """Put our webhooks on the store (idempotent), then start the backfill."""
    from app.services import woocommerce

    app = job_app()
    with app.app_context():
        shop = _connected(shop_id)
        if shop is None:
            return 0
        hooks: list[dict[str, Any]] = woocommerce.after_connect(shop)
        queue(app).enqueue("jobs.woocommerce.backfill", shop_id, retry=RETRY, description=f"backfill {shop.domain}")
        return len(hooks)


def backfill(shop_id: int) -> dict[str, int]:
    """Import (or resume importing) the store's last 60 days of orders, without emailing anyone."""
    from app.services import backfill as service

    with job_app().app_context():
        shop = _connected(shop_id)
        if shop is None:
            return {"orders": 0}
        done = service.run(service.start(shop).id)
        return {"orders": done.orders, "skipped": done.skipped, "pages": done.pages}


def reconcile(shop_id: int) -> int:
    """Re-read recently modified orders and re-enable disabled webhooks (scheduled by the dispatcher)."""
    from app.services import woocommerce
    from connectors.woocommerce.client import WooAuthError

    with job_app().app_context():
        shop = _connected(shop_id)
        if shop is None:
            return 0
        try:
            return woocommerce.reconcile(shop)
        except WooAuthError as exc:
            # The merchant revoked our keys: stop asking every 15 minutes; connecting again restores it.
            db.session.rollback()
            woocommerce.disconnect(shop, str(exc))
            return 0
