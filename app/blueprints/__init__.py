"""HTTP surface: webhooks, shopper pages, admin, health."""

from __future__ import annotations

from flask import Flask


def register_blueprints(app: Flask) -> None:
    from app.blueprints.admin import bp as admin
    from app.blueprints.embedded import bp as embedded
    from app.blueprints.health import bp as health
    from app.blueprints.install import bp as install
    from app.blueprints.proxy import bp as proxy
    from app.blueprints.returns import bp as returns
    from app.blueprints.returns_api import bp as returns_api
    from app.blueprints.shopper import bp as shopper
    from app.blueprints.webhooks import bp as webhooks
    from app.blueprints.woocommerce import bp as woocommerce

    for bp in (webhooks, install, woocommerce, embedded, returns_api, shopper, returns, proxy, admin, health):
        app.register_blueprint(bp)
