"""Pure functions turning Shopify REST webhook bodies into the common model."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from connectors.base import NormalizeError, TrackingEventChange
from connectors.model import (
    Address,
    Customer,
    LineItem,
    Money,
    Order,
    Refund,
    Return,
    ReturnLine,
    ReturnStatus,
    Shipment,
    ShipmentItem,
    TrackingEvent,
)
from connectors.shopify.markers import key_in
from connectors.shopify.statuses import is_cancelled, shipment_status_for

_MISSING = object()


def normalize_order(payload: Mapping[str, Any]) -> Order:
    """An orders/* webhook body as an Order, so nothing else reads Shopify dicts."""
    data = _mapping(payload, "order")
    currency = _currency(data)
    customer_locale = _opt_str(data, "customer_locale", "order")
    return Order(
        external_id=_id(data, "id", "order"),
        number=_number(data),
        created_at=_datetime(data, "created_at", "order"),
        updated_at=_datetime(data, "updated_at", "order"),
        customer=_customer(data, customer_locale),
        total=_total(data, currency),
        locale=customer_locale,
        line_items=tuple(
            _line_item(item, currency, f"order.line_items[{i}]")
            for i, item in enumerate(_list(data, "line_items", "order"))
        ),
        shipping_address=_address(
            data.get("shipping_address"), "order.shipping_address"
        ),
        shipments=tuple(
            _shipment(f, f"order.fulfillments[{i}]")
            for i, f in enumerate(_list(data, "fulfillments", "order"))
        ),
        refunds=tuple(
            _refund(r, currency, f"order.refunds[{i}]")
            for i, r in enumerate(_list(data, "refunds", "order"))
        ),
        cancelled_at=_opt_datetime(data, "cancelled_at", "order"),
        financial_status=_opt_str(data, "financial_status", "order"),
        fulfillment_status=_opt_str(data, "fulfillment_status", "order"),
        tags=_tags(data.get("tags")),
    )


def _tags(raw: object) -> tuple[str, ...]:
    """Shopify sends order tags as one comma-separated string (REST) or a list (GraphQL)."""
    items = raw.split(",") if isinstance(raw, str) else raw if isinstance(raw, list) else []
    return tuple(t.strip() for t in items if isinstance(t, str) and t.strip())


def normalize_fulfillment(payload: Mapping[str, Any]) -> tuple[str, Shipment]:
    """A fulfillments/* webhook body as (order id, Shipment) for the shipment diff."""
    data = _mapping(payload, "fulfillment")
    order_id = _id(data, "order_id", "fulfillment")
    return order_id, _shipment(data, "fulfillment")


def normalize_fulfillment_event(payload: Mapping[str, Any]) -> TrackingEventChange:
    """A fulfillment_events/create body: a carrier checkpoint that moves its shipment between fulfillment updates."""
    where = "fulfillment_event"
    data = _mapping(payload, where)
    raw_status = _str(data, "status", where)
    # The event belongs to a created fulfillment, so an unknown carrier word still means the parcel left.
    status = shipment_status_for(raw_status, "success")
    place = (_opt_str(data, key, where) for key in ("city", "province", "country"))
    event = TrackingEvent(
        status=status,
        occurred_at=_datetime(data, "happened_at", where),
        message=_opt_str(data, "message", where),
        location=", ".join(p for p in place if p) or None,
        raw_status=raw_status,
    )
    return TrackingEventChange(
        order_external_id=_id(data, "order_id", where),
        shipment_external_id=_id(data, "fulfillment_id", where),
        event=event,
        estimated_delivery=_opt_datetime(data, "estimated_delivery_at", where),
    )


# --- pieces ---------------------------------------------------------------------


def _shipment(value: object, where: str) -> Shipment:
    """One fulfillment, whether inside an order or a webhook of its own."""
    data = _mapping(value, where)
    fulfillment_status = _opt_str(data, "status", where)
    raw_status = _opt_str(data, "shipment_status", where)
    status = shipment_status_for(raw_status, fulfillment_status)
    updated_at = _datetime(data, "updated_at", where)
    events: tuple[TrackingEvent, ...] = ()
    if raw_status:
        events = (
            TrackingEvent(status=status, occurred_at=updated_at, raw_status=raw_status),
        )
    return Shipment(
        external_id=_id(data, "id", where),
        status=status,
        created_at=_datetime(data, "created_at", where),
        updated_at=updated_at,
        carrier=_opt_str(data, "tracking_company", where),
        tracking_number=_first(data, "tracking_number", "tracking_numbers", where),
        tracking_url=_first(data, "tracking_url", "tracking_urls", where),
        items=tuple(
            _shipment_item(item, f"{where}.line_items[{i}]")
            for i, item in enumerate(_list(data, "line_items", where))
        ),
        events=events,
        cancelled=is_cancelled(fulfillment_status),
    )


def _shipment_item(value: object, where: str) -> ShipmentItem:
    """Which order line a fulfillment ships, and how many of it."""
    data = _mapping(value, where)
    return ShipmentItem(
        line_item_id=_id(data, "id", where),
        quantity=_quantity(data, where),
    )


def _line_item(value: object, currency: str, where: str) -> LineItem:
    """One order line; the price is per unit in the shop currency, like the total."""
    data = _mapping(value, where)
    return LineItem(
        external_id=_id(data, "id", where),
        title=_str(data, "title", where),
        quantity=_quantity(data, where),
        price=_money(
            _decimal(data.get("price", _MISSING), f"{where}.price"), currency, where
        ),
        sku=_opt_str(data, "sku", where),
        variant_title=_opt_str(data, "variant_title", where),
        product_id=_opt_id(data, "product_id", where),
        variant_id=_opt_id(data, "variant_id", where),
    )


def _customer(data: Mapping[str, Any], locale: str | None) -> Customer:
    """The shopper; a guest or redacted customer still has the order's email."""
    raw = data.get("customer")
    customer = _mapping(raw, "order.customer") if raw is not None else {}
    email = (
        _opt_str(customer, "email", "order.customer")
        or _opt_str(data, "email", "order")
        or _opt_str(data, "contact_email", "order")
    )
    return Customer(
        external_id=_opt_id(customer, "id", "order.customer"),
        email=email,
        first_name=_opt_str(customer, "first_name", "order.customer"),
        last_name=_opt_str(customer, "last_name", "order.customer"),
        locale=locale,
    )


def _address(value: object, where: str) -> Address | None:
    """A postal address; the province code is kept because label providers need it."""
    if value is None:
        return None
    data = _mapping(value, where)
    return Address(
        name=_opt_str(data, "name", where),
        company=_opt_str(data, "company", where),
        line1=_opt_str(data, "address1", where),
        line2=_opt_str(data, "address2", where),
        city=_opt_str(data, "city", where),
        region=_opt_str(data, "province_code", where)
        or _opt_str(data, "province", where),
        postal_code=_opt_str(data, "zip", where),
        country_code=_opt_str(data, "country_code", where),
        phone=_opt_str(data, "phone", where),
    )


def _refund(value: object, currency: str, where: str) -> Refund:
    """A refund's amount is what its successful refund transactions moved."""
    data = _mapping(value, where)
    amount = Decimal(0)
    refund_currency: str | None = None
    for i, raw in enumerate(_list(data, "transactions", where)):
        tx_where = f"{where}.transactions[{i}]"
        tx = _mapping(raw, tx_where)
        if tx.get("kind") != "refund" or tx.get("status") != "success":
            continue
        amount += _decimal(tx.get("amount", _MISSING), f"{tx_where}.amount")
        tx_currency = _opt_str(tx, "currency", tx_where) or currency
        if refund_currency not in (None, tx_currency):
            raise NormalizeError(f"{where}: transactions in several currencies")
        refund_currency = tx_currency
    return Refund(
        external_id=_id(data, "id", where),
        amount=_money(amount, refund_currency or currency, where),
        created_at=_datetime(data, "created_at", where),
        note=_opt_str(data, "note", where),
    )


def _number(data: Mapping[str, Any]) -> str:
    """What the shopper sees ("#1001"); the bare order_number when name is absent."""
    name = _opt_str(data, "name", "order")
    if name:
        return name
    number = data.get("order_number")
    if isinstance(number, int) and not isinstance(number, bool):
        return str(number)
    if isinstance(number, str) and number.strip():
        return number.strip()
    raise NormalizeError("order: needs a 'name' or an integer 'order_number'")


def _currency(data: Mapping[str, Any]) -> str:
    """The shop currency; every amount we read (total, prices, refunds) is in it."""
    currency = _opt_str(data, "currency", "order")
    if currency is None:
        currency = _opt_str(
            _shop_money(data, "total_price_set"), "currency_code", "order"
        )
    if currency is None:
        raise NormalizeError("order: missing 'currency'")
    if len(currency) != 3 or not currency.isalpha():
        raise NormalizeError(f"order.currency: not an ISO 4217 code: {currency!r}")
    return currency.upper()


def _total(data: Mapping[str, Any], currency: str) -> Money:
    """The order total as placed (total_price), not the edited current total."""
    raw = data.get("total_price", _MISSING)
    if raw is _MISSING or raw is None:
        raw = _shop_money(data, "total_price_set").get("amount", _MISSING)
    return _money(_decimal(raw, "order.total_price"), currency, "order")


def _shop_money(data: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    """The shop_money half of a Shopify money set, or {} when there is none."""
    money_set = data.get(key)
    if not isinstance(money_set, Mapping):
        return {}
    shop_money = money_set.get("shop_money")
    return shop_money if isinstance(shop_money, Mapping) else {}


# --- typed field readers: every bad shape becomes a NormalizeError --------------


def _mapping(value: object, where: str) -> Mapping[str, Any]:
    """The value as a JSON object, or a NormalizeError naming where it was."""
    if not isinstance(value, Mapping):
        raise NormalizeError(f"{where}: expected an object, got {type(value).__name__}")
    return value


def _list(data: Mapping[str, Any], key: str, where: str) -> Sequence[Any]:
    """A JSON array field; absent or null reads as empty."""
    value = data.get(key)
    if value is None:
        return ()
    if not isinstance(value, list):
        raise NormalizeError(
            f"{where}.{key}: expected a list, got {type(value).__name__}"
        )
    return value


def _id(data: Mapping[str, Any], key: str, where: str) -> str:
    """A required id as an exact string: Shopify ids exceed 2**53, so never float."""
    value = data.get(key, _MISSING)
    if value is _MISSING or value is None:
        raise NormalizeError(f"{where}: missing required '{key}'")
    return _id_value(value, f"{where}.{key}")


def _opt_id(data: Mapping[str, Any], key: str, where: str) -> str | None:
    """An optional id (product, variant, customer) as an exact string."""
    value = data.get(key)
    if value is None:
        return None
    return _id_value(value, f"{where}.{key}")


def _id_value(value: object, where: str) -> str:
    """Accept JSON integers and digit strings; a float has already lost digits."""
    if isinstance(value, int) and not isinstance(value, bool):
        if value < 0:
            raise NormalizeError(f"{where}: negative id {value}")
        return str(value)
    if isinstance(value, str) and value.strip().isdigit():
        return value.strip()
    raise NormalizeError(f"{where}: expected an integer id, got {value!r}")


def _str(data: Mapping[str, Any], key: str, where: str) -> str:
    """A required non-empty string field."""
    value = _opt_str(data, key, where)
    if value is None:
        raise NormalizeError(f"{where}: missing required '{key}'")
    return value


def _opt_str(data: Mapping[str, Any], key: str, where: str) -> str | None:
    """An optional string; Shopify sends "" for blanks, which we read as absent."""
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise NormalizeError(f"{where}.{key}: expected a string, got {value!r}")
    value = value.strip()
    return value or None


def _first(data: Mapping[str, Any], key: str, plural: str, where: str) -> str | None:
    """The singular field, else the first of its list (tracking_numbers, ...)."""
    value = _opt_str(data, key, where)
    if value is not None:
        return value
    for i, item in enumerate(_list(data, plural, where)):
        if item is None:
            continue
        if not isinstance(item, str):
            raise NormalizeError(f"{where}.{plural}[{i}]: expected a string")
        if item.strip():
            return item.strip()
    return None


def _quantity(data: Mapping[str, Any], where: str) -> int:
    """A required non-negative integer quantity."""
    value: object = data.get("quantity", _MISSING)
    if value is _MISSING or value is None:
        raise NormalizeError(f"{where}: missing required 'quantity'")
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise NormalizeError(f"{where}.quantity: expected a count, got {value!r}")
    return value


def _decimal(value: object, where: str) -> Decimal:
    """A money amount from Shopify's decimal string; floats are refused, not rounded."""
    if value is _MISSING or value is None:
        raise NormalizeError(f"{where}: missing amount")
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise NormalizeError(f"{where}: expected a decimal string, got {value!r}")
    try:
        amount = Decimal(value.strip() if isinstance(value, str) else value)
    except InvalidOperation:
        raise NormalizeError(f"{where}: not a number: {value!r}") from None
    if not amount.is_finite():
        raise NormalizeError(f"{where}: not a finite amount: {value!r}")
    return amount


def _money(amount: Decimal, currency: str, where: str) -> Money:
    """Money, with the model's currency check reported as a NormalizeError."""
    try:
        return Money(amount, currency)
    except (TypeError, ValueError) as exc:
        raise NormalizeError(f"{where}: {exc}") from None


def _datetime(data: Mapping[str, Any], key: str, where: str) -> datetime:
    """A required ISO 8601 timestamp; naive ones are refused since order matters."""
    value = data.get(key, _MISSING)
    if value is _MISSING or value is None:
        raise NormalizeError(f"{where}: missing required '{key}'")
    return _parse_datetime(value, f"{where}.{key}")


def _opt_datetime(data: Mapping[str, Any], key: str, where: str) -> datetime | None:
    """An optional ISO 8601 timestamp (cancelled_at, ...)."""
    value = data.get(key)
    if value is None:
        return None
    return _parse_datetime(value, f"{where}.{key}")


def _parse_datetime(value: object, where: str) -> datetime:
    """Timezone-aware datetime from Shopify's offset timestamps."""
    if not isinstance(value, str):
        raise NormalizeError(f"{where}: expected a timestamp string, got {value!r}")
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        raise NormalizeError(f"{where}: not an ISO 8601 timestamp: {value!r}") from None
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        raise NormalizeError(f"{where}: timestamp has no UTC offset: {value!r}")
    return parsed


def normalize_refund(payload: Mapping[str, Any]) -> tuple[str, Refund]:
    """A refunds/create body: the order it belongs to, and the money that went back."""
    data = _mapping(payload, "refund")
    order_id = _id(data, "order_id", "refund")
    currency = None
    for i, raw in enumerate(_list(data, "transactions", "refund")):
        currency = currency or _opt_str(_mapping(raw, f"refund.transactions[{i}]"), "currency", "refund")
    # A refund that moved no money (restock only) has no transaction: its money sets still name the currency.
    currency = currency or _set_currency(data)
    if currency is None:
        raise NormalizeError("refund: no transaction, line or duties amount names a currency")
    return order_id, _refund(data, currency, "refund")


def _set_currency(data: Mapping[str, Any]) -> str | None:
    """The shop currency of the refund's first money set (a line's subtotal, else the duties total)."""
    lines = data.get("refund_line_items")
    sets = [line.get("subtotal_set") for line in lines if isinstance(line, Mapping)] if isinstance(lines, list) else []
    for money_set in [*sets, data.get("total_duties_set")]:
        shop_money = money_set.get("shop_money") if isinstance(money_set, Mapping) else None
        code = shop_money.get("currency_code") if isinstance(shop_money, Mapping) else None
        if isinstance(code, str) and len(code) == 3:
            return code
    return None


def normalize_return(payload: Mapping[str, Any], topic_status: str | None = None) -> Return:
    """A returns/* body; status comes from the payload, else from what the topic means."""
    data = _mapping(payload, "return")
    raw_status = _opt_str(data, "status", "return") or topic_status
    try:
        status = ReturnStatus(str(raw_status).lower())
    except ValueError:
        raise NormalizeError(f"return.status: unknown return status {raw_status!r}") from None
    order = data.get("order")
    order_id = _id(_mapping(order, "return.order"), "id", "return.order") if order is not None else None
    lines = []
    for i, raw in enumerate(_list(data, "return_line_items", "return")):
        where = f"return.return_line_items[{i}]"
        line = _mapping(raw, where)
        fli = _mapping(line.get("fulfillment_line_item"), f"{where}.fulfillment_line_item")
        item = _mapping(fli.get("line_item"), f"{where}.fulfillment_line_item.line_item")
        lines.append(ReturnLine(
            line_item_id=_id(item, "id", f"{where}.fulfillment_line_item.line_item"),
            quantity=_quantity(line, where),
            reason=_opt_str(line, "return_reason", where),
            note=_opt_str(line, "return_reason_note", where) or _opt_str(line, "customer_note", where),
        ))
    key = next((found for line in lines if (found := key_in(line.note)) is not None), None)
    return Return(external_id=_id(data, "id", "return"), order_external_id=order_id, status=status,
                  name=_opt_str(data, "name", "return"), lines=tuple(lines), key=key)
