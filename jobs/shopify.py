"""Jobs that call Shopify's Admin API for one shop."""

from __future__ import annotations

from app.extensions import db
from app.models import Shop
from app.services import installs
from connectors.shopify.admin import ShopifyAdminClient
from jobs.context import job_app


def after_install(shop_id: int) -> list[str]:
    """Subscribe the shop's webhooks to this app (idempotent: a re-run subscribes nothing twice)."""
    app = job_app()
    with app.app_context():
        shop = db.session.get(Shop, shop_id)
        if shop is None or shop.uninstalled_at is not None:
            return []
        client = ShopifyAdminClient(shop.domain, installs.access_token(shop), app.config.get("SHOPIFY_BASE_URL"))
        return client.ensure_webhooks(f"{app.config['APP_URL']}/webhooks/shopify")
