"""Versions of what the tracking page shows, changed in SQL in the same transaction as the change itself.

Every order and every shop carries a `page_version`: a random 62-bit number, replaced whenever the order,
its line items, its shipments or their tracking events (delivery estimates and delay flags live on the
shipment), or the shop's shown columns (name, settings: colours, FAQ, carrier priority...) change. The hooks
are SQLAlchemy session events, so every ORM write in any process that builds the app (web workers, RQ workers
on other machines, the CLI) changes the version without the write path having to remember to; the new value
commits or rolls back with the change it describes. Bulk statements through a session (UPDATE of shown
columns, INSERT or DELETE of items, shipments, events) change every shop's version: rare, and always correct.
Writes in raw SQL text bypass all this; a new table shown on the page must be added here.

Versions are random rather than counters so that a row id reused after a delete (SQLite does that) never
meets a page cached for the old row under an equal version.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Column, event, update
from sqlalchemy.orm import ORMExecuteState, Session, UOWTransaction
from sqlalchemy.orm.attributes import instance_state
from sqlalchemy.orm.util import identity_key

from app.models import LineItem, Order, Shipment, Shop, TrackingEvent, new_page_version

# Columns whose change shows nowhere on the page: changing them keeps the version (no needless re-render).
IGNORED: dict[str, frozenset[str]] = {
    "orders": frozenset({"page_version"}),
    "shops": frozenset({"page_version", "webhook_secret_enc", "access_token_enc", "access_token_expires_at",
                        "refresh_token_enc", "refresh_token_expires_at", "scopes", "created_at", "installed_at",
                        "uninstalled_at", "reconciled_at", "reconcile_enqueued_at", "credentials_enc"}),
    "shipments": frozenset({"next_poll_at"}),  # the polling lease, moved on every dispatcher pass
    "line_items": frozenset(),
    "tracking_events": frozenset(),
}
_PARTS = (LineItem, Shipment, TrackingEvent)

_installed = False


def install() -> None:
    """Listen on every SQLAlchemy session of this process (idempotent): called when the app is built."""
    global _installed
    if not _installed:
        event.listen(Session, "before_flush", _before_flush)
        event.listen(Session, "do_orm_execute", _on_bulk_statement)
        _installed = True


def _changed(obj: object, ignored: frozenset[str]) -> bool:
    """True if a column attribute outside `ignored` holds a value other than the stored one."""
    state = instance_state(obj)
    columns = state.mapper.column_attrs
    for key in set(columns.keys()) - state.unmodified - ignored:
        if state.attrs[key].history.has_changes():
            return True
    return False


def _order_id_of(session: Session, obj: object) -> int | None:
    """The order a line item, shipment or tracking event belongs to; None while that order is being inserted."""
    if isinstance(obj, TrackingEvent):
        shipment = obj.shipment if obj.shipment_id is None else session.get(Shipment, obj.shipment_id)
        return _order_id_of(session, shipment) if shipment is not None else None
    if isinstance(obj, LineItem | Shipment):
        if obj.order_id is not None:
            return int(obj.order_id)
        order = obj.order
        return int(order.id) if order is not None and order.id is not None else None
    return None


def _before_flush(session: Session, _context: UOWTransaction, _instances: Iterable[Any] | None) -> None:
    """New versions for the orders and shops this flush changes, written by the same flush."""
    new, deleted = set(session.new), set(session.deleted)
    orders: set[int] = set()
    for obj in [*new, *session.dirty, *deleted]:
        persistent = obj not in new and obj not in deleted
        if isinstance(obj, Order | Shop):
            if persistent and _changed(obj, IGNORED[obj.__tablename__]):
                obj.page_version = new_page_version()
        elif isinstance(obj, _PARTS):
            if not persistent or _changed(obj, IGNORED[obj.__tablename__]):
                order_id = _order_id_of(session, obj)
                if order_id is not None:
                    orders.add(order_id)
    unloaded = []
    for order_id in orders:
        order = session.identity_map.get(identity_key(Order, order_id))
        if order is None:
            unloaded.append(order_id)
        elif order not in deleted:
            order.page_version = new_page_version()
    if unloaded:  # before this flush writes the parts: the order row is locked first, as _find_order does
        table = Order.__table__
        session.execute(update(table).where(table.c.id.in_(unloaded)).values(page_version=new_page_version()))


def _set_columns(state: ORMExecuteState) -> set[str] | None:
    """The column names a bulk UPDATE sets, or None when they cannot be told."""
    stmt: Any = state.statement
    pairs = stmt._values or dict(stmt._ordered_values or ())  # the statement's own SET clause
    if pairs:
        return {key.name if isinstance(key, Column) else str(key) for key in pairs}
    params = state.parameters
    rows = params if isinstance(params, list) else [params] if params else []
    names = {str(name) for row in rows for name in row} - {"id"}
    return names or None


def _on_bulk_statement(state: ORMExecuteState) -> None:
    """A bulk statement on shown rows does not say which orders it touched: every page gets a new version."""
    if not (state.is_update or state.is_delete or state.is_insert):
        return
    table = getattr(state.statement, "table", None)
    name = getattr(table, "name", None)
    if name not in IGNORED:
        return
    if name in ("orders", "shops") and not state.is_update:
        return  # deleted rows' pages answer 404; inserted rows have a version of their own
    if state.is_update:
        columns = _set_columns(state)
        if columns is not None and columns <= IGNORED[name]:
            return
    shops = Shop.__table__
    state.session.execute(update(shops).values(page_version=new_page_version()))
