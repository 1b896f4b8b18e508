"""Shopify installs: one-use OAuth states and the shop's encrypted, expiring tokens."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta

from flask import current_app
from sqlalchemy import delete, select, update

from app.crypto import decrypt, encrypt
from app.extensions import db
from app.models import InstallState, Shop
from connectors.shopify.oauth import OAuthError, ShopifyAuthClient, Tokens

STATE_TTL = timedelta(minutes=15)


def new_state(shop_domain: str) -> str:
    now = datetime.now(UTC)
    db.session.execute(delete(InstallState).where(InstallState.created_at < now - timedelta(days=1)))
    state = secrets.token_urlsafe(32)
    db.session.add(InstallState(state=state, shop_domain=shop_domain, created_at=now))
    db.session.commit()
    return state


def consume_state(state: str, shop_domain: str) -> None:
    """Mark the state used, once, for that shop and recently; anything else is refused."""
    now = datetime.now(UTC)
    result = db.session.execute(
        update(InstallState)
        .where(InstallState.state == state, InstallState.shop_domain == shop_domain,
               InstallState.used_at.is_(None), InstallState.created_at > now - STATE_TTL)
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise OAuthError("unknown, expired or already used state; start the install again")


def _store_tokens(shop: Shop, tokens: Tokens) -> None:
    shop.access_token_enc = encrypt(tokens.access_token)
    shop.access_token_expires_at = tokens.expires_at
    if tokens.refresh_token:
        shop.refresh_token_enc = encrypt(tokens.refresh_token)
        shop.refresh_token_expires_at = tokens.refresh_expires_at
    shop.scopes = tokens.scope or shop.scopes


def save_install(shop_domain: str, tokens: Tokens) -> Shop:
    """Create or reactivate the shop with its tokens encrypted at rest."""
    shop = db.session.scalar(select(Shop).where(Shop.platform == "shopify", Shop.domain == shop_domain))
    if shop is None:
        shop = Shop(platform="shopify", domain=shop_domain, settings={},
                    name=shop_domain.split(".")[0].replace("-", " ").title())
        db.session.add(shop)
    _store_tokens(shop, tokens)
    shop.installed_at = datetime.now(UTC)
    shop.reconciled_at = shop.installed_at  # the backfill covers what came before; reconciling starts here
    shop.uninstalled_at = None
    db.session.commit()
    return shop


REFRESH_MARGIN = timedelta(minutes=5)


def auth_client() -> ShopifyAuthClient:
    cfg = current_app.config
    return ShopifyAuthClient(cfg["SHOPIFY_API_KEY"], cfg["SHOPIFY_API_SECRET"], cfg.get("SHOPIFY_BASE_URL"))


def access_token(shop: Shop) -> str:
    """The shop's access token, refreshed first when it expires within a few minutes."""
    if shop.access_token_enc is None or shop.uninstalled_at is not None:
        raise NotInstalled(f"{shop.domain} has no access token (not installed, or uninstalled)")
    expires = shop.access_token_expires_at
    if expires is not None and expires - datetime.now(UTC) < REFRESH_MARGIN:
        if shop.refresh_token_enc is None:
            raise NotInstalled(f"{shop.domain}: the access token expired and there is no refresh token")
        tokens = auth_client().refresh(shop.domain, decrypt(shop.refresh_token_enc))
        _store_tokens(shop, tokens)
        db.session.commit()
    return decrypt(shop.access_token_enc)


class NotInstalled(LookupError):
    """The shop cannot be called: no token, or the app was uninstalled."""


def install_from_session(session_token: str, shop_domain: str) -> tuple[Shop, bool]:
    """Managed install: exchange the embedded admin's session token when the shop has no usable token.

    Returns the shop and whether it was (re)installed just now.
    """
    shop = db.session.scalar(select(Shop).where(Shop.platform == "shopify", Shop.domain == shop_domain))
    if shop is not None and shop.access_token_enc is not None and shop.uninstalled_at is None:
        return shop, False
    tokens = auth_client().exchange_session_token(shop_domain, session_token)
    return save_install(shop_domain, tokens), True
