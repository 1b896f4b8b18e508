"""The operator's commands, run as an operator runs them."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from app.models import Message, Order, Shop, WebhookEvent
from tests.conftest import SmtpSink, load_fixture

ROOT = Path(__file__).resolve().parent.parent


def test_shops_create_prints_the_id(app: Any, db: Any) -> None:
    result = app.test_cli_runner().invoke(args=["shops", "create", "shopify", "Mi-Tienda.myshopify.com"])
    assert result.exit_code == 0, result.output
    shop = db.session.scalar(select(Shop))
    assert f"id: {shop.id}" in result.output
    assert shop.domain == "mi-tienda.myshopify.com"
    assert "webhook_secret" not in result.output


def test_woocommerce_shop_gets_a_webhook_secret(app: Any, db: Any) -> None:
    result = app.test_cli_runner().invoke(args=["shops", "create", "woocommerce", "https://store.example.com/"])
    assert result.exit_code == 0, result.output
    secret = next(line.split(": ", 1)[1] for line in result.output.splitlines() if line.startswith("webhook_secret"))
    shop = db.session.scalar(select(Shop))
    assert shop.domain == "https://store.example.com" and len(secret) >= 32
    assert secret not in (shop.webhook_secret_enc or "")  # encrypted at rest


def test_bad_shop_input_is_a_clear_error_and_changes_nothing(app: Any, db: Any) -> None:
    runner = app.test_cli_runner()
    for args in (["shopify", "evil.com"], ["shopify", "-x.myshopify.com"], ["magento", "x.com"]):
        result = runner.invoke(args=["shops", "create", *args])
        assert result.exit_code != 0
        assert "Error" in result.output
        assert "Traceback" not in result.output
    runner.invoke(args=["shops", "create", "shopify", "dup.myshopify.com"])
    again = runner.invoke(args=["shops", "create", "shopify", "dup.myshopify.com"])
    assert again.exit_code != 0 and "already registered" in again.output
    assert db.session.scalar(select(func.count()).select_from(Shop)) == 1


def test_demo_posts_signed_webhooks_through_the_endpoint(app: Any, db: Any) -> None:
    from tests.conftest import drain

    result = app.test_cli_runner().invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    assert "webhooks posted: 14 new" in result.output
    drain(app)
    orders = db.session.scalars(select(Order).order_by(Order.number)).all()
    assert [o.number for o in orders] == ["#D1001", "#D1002", "#D1003", "#D1004", "#D1005"]
    kinds = sorted(m.kind for m in db.session.scalars(select(Message)))
    assert kinds == ["delivered", "delivered", "exception", "out_for_delivery", "shipped", "shipped", "shipped",
                     "shipped"]
    again = app.test_cli_runner().invoke(args=["demo"])
    assert "webhooks posted: 0 new" in again.output  # running it twice changes nothing


def test_worker_process_with_dispatcher_turns_webhooks_into_emails(app: Any, db: Any, shop: Any,
                                                                    post_shopify: Any, smtp: SmtpSink) -> None:
    """`flask --app wsgi worker` in its own process, as an operator runs it beside gunicorn."""
    post_shopify("orders/create", load_fixture("shopify", "orders_create.json"), "e1")
    post_shopify("fulfillments/create", load_fixture("shopify", "fulfillments_create.json"), "e2")
    env = {
        **os.environ,
        "POSTVENTA_INSTANCE": app.instance_path,
        "SECRET_KEY": app.config["SECRET_KEY"],
        "ENCRYPTION_KEY": app.config["ENCRYPTION_KEY"],
        "SHOPIFY_API_SECRET": app.config["SHOPIFY_API_SECRET"],
        "APP_URL": app.config["APP_URL"],
        "MAIL_URL": smtp.url,
        "POSTVENTA_DISPATCH_INTERVAL": "0.2",
        "POSTVENTA_SWEEP_INTERVAL": "0",  # the recorded shipment is weeks old: no "delayed" email today
    }
    proc = subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "worker"], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while not smtp.messages and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.2)
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        output = proc.communicate(timeout=30)[0].decode()
    assert len(smtp.messages) == 1, output
    assert smtp.messages[0]["To"] == "lucia.martin@example.com"
    db.session.expire_all()
    assert {e.status for e in db.session.scalars(select(WebhookEvent))} == {"processed"}
