"""Shopify installs: one-use OAuth states and the shop's encrypted, expiring tokens."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select, update

from app.crypto import encrypt
from app.extensions import db
from app.models import InstallState, Shop
from connectors.shopify.oauth import OAuthError, Tokens

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


def save_install(shop_domain: str, tokens: Tokens) -> Shop:
    """Create or reactivate the shop with its tokens encrypted at rest."""
    shop = db.session.scalar(select(Shop).where(Shop.platform == "shopify", Shop.domain == shop_domain))
    if shop is None:
        shop = Shop(platform="shopify", domain=shop_domain, settings={},
                    name=shop_domain.split(".")[0].replace("-", " ").title())
        db.session.add(shop)
    shop.access_token_enc = encrypt(tokens.access_token)
    shop.access_token_expires_at = tokens.expires_at
    shop.refresh_token_enc = encrypt(tokens.refresh_token) if tokens.refresh_token else None
    shop.refresh_token_expires_at = tokens.refresh_expires_at
    shop.scopes = tokens.scope
    shop.installed_at = datetime.now(UTC)
    shop.uninstalled_at = None
    db.session.commit()
    return shop
