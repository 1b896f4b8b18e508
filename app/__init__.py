"""The Flask application factory."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from flask import Flask
from flask_babel import get_locale
from sqlalchemy import event

from app.config import Config
from app.extensions import babel, csrf, db, limiter, migrate, sqlite_pragmas


def create_app(config: type[Config] | dict[str, Any] | None = None, instance_path: str | None = None) -> Flask:
    """Build the app; nothing connects until a request or command needs it."""
    root = Path(__file__).resolve().parent.parent
    inst = Path(instance_path or os.environ.get("POSTVENTA_INSTANCE") or root / "instance")
    app = Flask(__name__, instance_path=str(inst))
    if isinstance(config, dict):
        app.config.update(Config(inst).values)
        app.config.update(config)
    else:
        app.config.update((config or Config)(inst).values)
    inst.mkdir(parents=True, exist_ok=True)

    db.init_app(app)
    migrate.init_app(app, db, directory=str(root / "migrations"))
    from app.i18n import select_locale

    babel.init_app(app, locale_selector=select_locale)
    limiter.init_app(app)
    csrf.init_app(app)
    app.jinja_env.globals["get_locale"] = get_locale
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            event.listen(db.engine, "connect", sqlite_pragmas)

    from app.blueprints import register_blueprints
    from app.cli import register_cli
    from app.errors import register_error_handlers

    register_blueprints(app)
    from app.fast_tracking import TrackingPageFastPath
    from app.services import page_versions

    page_versions.install()  # every process that writes (web, worker, CLI) keeps the tracking pages' versions
    app.wsgi_app = TrackingPageFastPath(app, app.wsgi_app)  # type: ignore[method-assign]
    register_error_handlers(app)
    register_cli(app)
    from app.fast_ingest import ShopifyWebhookFastPath

    app.wsgi_app = ShopifyWebhookFastPath(app, app.wsgi_app)  # type: ignore[method-assign]
    if app.config["TRUSTED_PROXY_HOPS"]:
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = app.config["TRUSTED_PROXY_HOPS"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]
    return app

