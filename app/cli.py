"""Commands: `flask --app wsgi shops create|list`, `worker`, `dispatch`, `demo`."""

from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from sqlalchemy import select

from app.extensions import db
from app.models import Shop
from app.queue import RETRY, queue
from app.services.shops import ShopError, create_shop, find_shop


def register_cli(app: Flask) -> None:
    app.cli.add_command(shops)
    app.cli.add_command(worker)
    app.cli.add_command(dispatch)
    app.cli.add_command(demo)
    app.cli.add_command(backfill)
    app.cli.add_command(carriers)
    from app.cli_returns import returns

    app.cli.add_command(returns)


@click.group()
def shops() -> None:
    """Register and list shops without the install flow (development and tests)."""


@shops.command("create")
@click.argument("platform", type=click.Choice(["shopify", "woocommerce"]))
@click.argument("domain")
@click.option("--name", help="Store name shown to shoppers (default: from the domain).")
@click.option("--consumer-key", help="WooCommerce REST API key (ck_...): connects the store now.")
@click.option("--consumer-secret", help="WooCommerce REST API secret (cs_...), with --consumer-key.")
@with_appcontext
def shops_create(platform: str, domain: str, name: str | None, consumer_key: str | None,
                 consumer_secret: str | None) -> None:
    """Register a shop; prints its id (and, for WooCommerce, its webhook secret)."""
    if (consumer_key or consumer_secret) and (platform != "woocommerce" or not (consumer_key and consumer_secret)):
        raise click.ClickException("--consumer-key and --consumer-secret go together, for WooCommerce only")
    try:
        created = create_shop(platform, domain, name)
    except ShopError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"id: {created.shop.id}")
    click.echo(f"domain: {created.shop.domain}")
    if created.webhook_secret:
        click.echo(f"webhook_secret: {created.webhook_secret}")
    if consumer_key and consumer_secret:
        from app.services.woocommerce import Credentials, save_credentials

        save_credentials(created.shop.domain, Credentials(consumer_key, consumer_secret))
        db.session.commit()
        queue().enqueue("jobs.woocommerce.after_connect", created.shop.id, retry=RETRY,
                        description=f"connect {created.shop.domain}")
        click.echo("connected: webhooks and the backfill start in the worker")


@shops.command("list")
@with_appcontext
def shops_list() -> None:
    for shop in db.session.scalars(select(Shop).order_by(Shop.id)):
        click.echo(f"{shop.id}\t{shop.platform}\t{shop.domain}\t{shop.name}")


@click.command()
@click.option("--burst", is_flag=True, help="Stop when the queue is empty.")
@click.option("--no-scheduler", is_flag=True, help="Leave scheduling (Retry backoff) to other workers.")
@click.option("--no-dispatcher", is_flag=True, help="Do not run the dispatcher beside this worker.")
def worker(burst: bool, no_scheduler: bool, no_dispatcher: bool) -> None:
    """Run an RQ worker (with its scheduler) and the dispatcher that feeds it."""
    from jobs.worker import run_worker

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    run_worker(app, burst=burst, with_scheduler=not no_scheduler, dispatcher=not no_dispatcher)


@click.command()
def dispatch() -> None:
    """Hand everything that is due to the queue once, then exit."""
    from jobs.dispatcher import dispatch_once

    done = dispatch_once(current_app._get_current_object())  # type: ignore[attr-defined]
    click.echo(f"event batches: {done.event_batches}, message batches: {done.message_batches}")


@click.command()
@click.option("--url", default=None, help="Post to this running app instead of in-process.")
@click.option("--wait", default=0.0, help="Seconds to wait for a running worker to process the webhooks.")
@click.option("--app-url", default=None, help="Base URL for the printed tracking links (default: APP_URL).")
def demo(url: str | None, wait: float, app_url: str | None) -> None:
    """Create a demo shop and drive orders through the real webhook endpoint."""
    from app.demo import run_demo

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if app_url:
        app.config["APP_URL"] = app_url.rstrip("/")
    for line in run_demo(app, url, wait=wait):
        click.echo(line)


@click.command()
@click.argument("shop")
@click.option("--days", default=60, show_default=True, help="How far back to import orders.")
@with_appcontext
def backfill(shop: str, days: int) -> None:
    """Import (or resume) a shop's recent orders, with a progress bar; emails nobody. SHOP: its id or domain."""
    from app.services import backfill as service
    from app.services.installs import NotInstalled
    from app.services.woocommerce import ConnectError
    from connectors.shopify.admin import AdminApiError
    from connectors.woocommerce.client import WooApiError
    from connectors.woocommerce.urls import StoreUrlError

    row = find_shop(shop)
    if row is None:
        raise click.ClickException(f"no shop {shop!r} (see `flask --app wsgi shops list`)")
    run = service.start(row, days)
    click.echo(f"backfill {run.id} of {row.domain}: orders created since {run.since:%Y-%m-%d}"
               + (f", resuming after {run.orders} orders" if run.orders else ""))
    with click.progressbar(length=run.total or 0, label="orders", show_pos=True) as bar:
        seen = run.orders

        def on_page(b: object) -> None:
            nonlocal seen
            from app.models import Backfill

            assert isinstance(b, Backfill)
            if b.total and bar.length != b.total:
                bar.length = b.total
            bar.update(b.orders - seen)
            seen = b.orders

        try:
            done = service.run(run.id, on_page)
        except (NotInstalled, AdminApiError, ConnectError, WooApiError, StoreUrlError, OSError) as exc:
            raise click.ClickException(f"backfill stopped (run it again to resume): {exc}") from None
    click.echo(f"done: {done.orders} orders in {done.pages} pages, {done.skipped} skipped")


@click.group()
def carriers() -> None:
    """Tracking-number carrier detection."""


@carriers.command("detect")
@click.argument("number")
def carriers_detect(number: str) -> None:
    """Print the carriers NUMBER may belong to, best first, as JSON."""
    import json
    from dataclasses import asdict

    from connectors.carriers import detect

    click.echo(json.dumps([asdict(match) for match in detect(number)], indent=2, ensure_ascii=False))
