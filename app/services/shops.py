"""Registering shops: the domain rules each platform's shops follow."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass

from sqlalchemy import func, select

from app.crypto import encrypt
from app.extensions import db
from app.models import Shop
from connectors.woocommerce.urls import StoreUrlError, normalize_store_url

SHOPIFY_DOMAIN = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9-]*\.myshopify\.com$")
HEX_COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")


class ShopError(ValueError):
    """A shop that cannot be registered, with a message for the operator."""


@dataclass(frozen=True)
class CreatedShop:
    shop: Shop
    webhook_secret: str | None


def normalize_domain(platform: str, raw: str) -> str:
    value = raw.strip()
    if platform == "shopify":
        value = value.lower()
        if not SHOPIFY_DOMAIN.match(value):
            raise ShopError(f"not a Shopify shop domain (want name.myshopify.com): {raw!r}")
        return value
    if platform == "woocommerce":
        try:
            return normalize_store_url(value)  # the operator's own choice: no public-address check here
        except StoreUrlError as exc:
            raise ShopError(f"not a store URL: {exc}") from None
    raise ShopError(f"unknown platform {platform!r} (want shopify or woocommerce)")


def create_shop(platform: str, raw_domain: str, name: str | None = None) -> CreatedShop:
    """Register a shop; WooCommerce shops get a webhook secret of their own."""
    domain = normalize_domain(platform, raw_domain)
    exists = db.session.scalar(select(Shop).where(Shop.platform == platform, Shop.domain == domain))
    if exists is not None:
        raise ShopError(f"{platform} shop {domain} is already registered (id {exists.id})")
    secret = secrets.token_urlsafe(32) if platform == "woocommerce" else None
    label = name or domain.split("://")[-1].split(".")[0].replace("-", " ").title()
    shop = Shop(
        platform=platform,
        domain=domain,
        name=label,
        settings={},
        webhook_secret_enc=encrypt(secret) if secret else None,
        store_url=domain if platform == "woocommerce" else None,
    )
    db.session.add(shop)
    db.session.commit()
    return CreatedShop(shop, secret)


def shop_settings(shop: Shop) -> dict[str, str]:
    """Branding with defaults, as templates read it."""
    s = shop.settings or {}

    def color(key: str, default: str) -> str:
        value = str(s.get(key) or "")
        return value if HEX_COLOR.match(value) else default

    return {
        "name": str(s.get("store_name") or shop.name),
        "primary_color": color("primary_color", "#1f6f5c"),
        "accent_color": color("accent_color", "#f4f1ea"),
        "logo_url": str(s.get("logo_url") or ""),
        "support_email": str(s.get("support_email") or ""),
    }


def find_shop(ref: str) -> Shop | None:
    """A shop by its id, its domain (any case), or a WooCommerce store's host: what people and URLs call it."""
    wanted = ref.strip().lower().rstrip("/")
    if wanted.isdigit() and len(wanted) < 19:
        return db.session.get(Shop, int(wanted))
    return db.session.scalar(select(Shop).where(func.lower(Shop.domain).in_(
        (wanted, f"https://{wanted}", f"http://{wanted}"))).order_by(Shop.id).limit(1))
