"""One way for services to reach a shop's platform: its connector and fresh credentials."""

from __future__ import annotations

from flask import current_app

from app.models import Shop
from app.services import installs, woocommerce
from connectors.base import Connector, ShopAccess, get_connector


class NotConnected(LookupError):
    """The shop cannot be called now (never connected, uninstalled, or keys revoked)."""


def connected(shop: Shop) -> bool:
    if shop.uninstalled_at is not None:
        return False
    return (shop.access_token_enc if shop.platform == "shopify" else shop.credentials_enc) is not None


def access_for(shop: Shop) -> tuple[Connector, ShopAccess]:
    """The shop's connector and credentials (a Shopify token refreshed first when it is about to expire)."""
    if not connected(shop):
        raise NotConnected(f"{shop.domain} is not connected to Postventa")
    connector = get_connector(shop.platform)
    if shop.platform == "shopify":
        try:
            token = installs.access_token(shop)
        except installs.NotInstalled as exc:
            raise NotConnected(str(exc)) from exc
        return connector, ShopAccess(shop.domain, token, current_app.config.get("SHOPIFY_BASE_URL"))
    creds = woocommerce.credentials(shop)
    insecure = woocommerce.insecure_allowed()
    return connector, ShopAccess(shop.store_url or shop.domain, creds.consumer_key, None, creds.consumer_secret,
                                 insecure)
