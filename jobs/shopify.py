"""Jobs that call Shopify's Admin API for one shop."""

from __future__ import annotations

from app.extensions import db
from app.models import Shop
from app.queue import RETRY, queue
from app.services import installs
from connectors.shopify.admin import ShopifyAdminClient
from jobs.context import job_app


def after_install(shop_id: int) -> list[str]:
    """Subscribe the shop's webhooks (idempotent: a re-run subscribes nothing twice), then start the backfill."""
    app = job_app()
    with app.app_context():
        shop = db.session.get(Shop, shop_id)
        if shop is None or shop.uninstalled_at is not None:
            return []
        client = ShopifyAdminClient(shop.domain, installs.access_token(shop), app.config.get("SHOPIFY_BASE_URL"))
        created = client.ensure_webhooks(f"{app.config['APP_URL']}/webhooks/shopify")
        queue(app).enqueue("jobs.shopify.backfill", shop_id, retry=RETRY, description=f"backfill {shop.domain}")
        return created


def backfill(shop_id: int) -> dict[str, int]:
    """Import (or resume importing) the shop's last 60 days of orders, without emailing anyone."""
    from app.services import backfill as service

    with job_app().app_context():
        shop = db.session.get(Shop, shop_id)
        if shop is None or shop.uninstalled_at is not None:
            return {"orders": 0}
        done = service.run(service.start(shop).id)
        return {"orders": done.orders, "skipped": done.skipped, "pages": done.pages}


def reconcile(shop_id: int) -> int:
    """Re-read the shop's recently updated orders (scheduled by the dispatcher)."""
    from app.services.reconcile import reconcile as run

    with job_app().app_context():
        shop = db.session.get(Shop, shop_id)
        if shop is None or shop.uninstalled_at is not None or shop.access_token_enc is None:
            return 0
        return run(shop)
