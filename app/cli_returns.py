"""`flask --app wsgi returns ...`: the returns queue from a terminal (and for stores without an embedded admin)."""

from __future__ import annotations

import json
from typing import TextIO

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from app.extensions import db
from app.models import Return, Shop
from app.services import return_policy, return_workflow
from app.services.return_summary import describe
from app.services.return_workflow import WorkflowError
from app.services.shops import find_shop


@click.group()
def returns() -> None:
    """List returns, decide on them, close them, and set a store's return rules."""


def _shop(ref: str) -> Shop:
    shop = find_shop(ref)
    if shop is None:
        raise click.ClickException(f"no shop {ref!r} (use its id or domain; `flask --app wsgi shops list`)")
    return shop


def _return(return_id: int) -> Return:
    ret = db.session.get(Return, return_id)
    if ret is None:
        raise click.ClickException(f"no return {return_id}")
    return ret


@returns.command("list")
@click.argument("shop")
@click.option("--status", type=click.Choice(return_workflow.STATUSES), help="Only returns in this status.")
@with_appcontext
def list_returns(shop: str, status: str | None) -> None:
    """One line per return, newest first."""
    query = select(Return).where(Return.shop_id == _shop(shop).id).order_by(Return.id.desc())
    if status:
        query = query.where(Return.status == status)
    for ret in db.session.scalars(query):
        problems = "; ".join(filter(None, (ret.label_error, ret.resolution_error, ret.sync_error)))
        click.echo(f"{ret.id}\t{ret.rma or ret.name}\t{ret.order.number}\t{ret.status}\t{ret.outcome or '-'}"
                   f"\t{ret.value_amount or ''} {ret.currency or ''}" + (f"\t! {problems}" if problems else ""))


@returns.command("show")
@click.argument("return_id", type=int)
@with_appcontext
def show(return_id: int) -> None:
    """Everything about one return, as JSON."""
    click.echo(json.dumps(describe(_return(return_id)), indent=2, ensure_ascii=False))


@returns.command("decide")
@click.argument("return_id", type=int)
@click.argument("action", type=click.Choice(["approve", "reject", "receive", "close", "retry"]))
@click.option("--note", help="Words for the shopper (required to reject).")
@with_appcontext
def decide(return_id: int, action: str, note: str | None) -> None:
    """approve | reject --note | receive | close (money back on the platform, once) | retry."""
    ret = _return(return_id)
    try:
        if action == "approve":
            return_workflow.approve(ret, note)
        elif action == "reject":
            if not (note or "").strip():
                raise WorkflowError("--note is required to decline a return: the shopper reads it")
            return_workflow.reject(ret, note or "")
        elif action == "receive":
            return_workflow.mark_received(ret, note)
        elif action == "close":
            return_workflow.close(ret)
        else:
            return_workflow.retry(ret)
    except WorkflowError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from None
    db.session.commit()
    click.echo(f"{ret.rma or ret.id}: {ret.status}")


@returns.command("rules")
@click.argument("shop")
@click.argument("rules_file", type=click.File("r"))
@with_appcontext
def rules(shop: str, rules_file: TextIO) -> None:
    """Set a store's return rules from a JSON file (the same fields as PUT /api/v1/settings/returns)."""
    target = _shop(shop)
    try:
        body = json.load(rules_file)
        checked = return_policy.validate(body)
    except (json.JSONDecodeError, return_policy.PolicyError) as exc:
        raise click.ClickException(f"{rules_file.name}: {exc}") from None
    target.settings = {**(target.settings or {}), "returns": checked}
    db.session.commit()
    click.echo(return_policy.summary(return_policy.from_settings(target.settings), "en"))
