"""Pure functions turning WooCommerce REST v3 order JSON into the common model, so nothing else reads it."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from connectors.base import NormalizeError
from connectors.model import (
    Address,
    Customer,
    LineItem,
    Money,
    Order,
    Refund,
    Shipment,
    ShipmentItem,
    ShipmentStatus,
    TrackingEvent,
)
from connectors.woocommerce.statuses import is_cancelled_order, order_statuses, shipment_status_for

# Order meta written by the Shipment Tracking extension and by Advanced Shipment Tracking (AST).
TRACKING_META_KEY = "_wc_shipment_tracking_items"
# Order meta where TrackShip (AST's tracking service) keeps each tracking item's carrier status.
TRACKSHIP_META_KEY = "shipment_status"
# WooCommerce core has no order language; WPML / WooCommerce Multilingual stores it under this key.
# (Polylang keeps it in a taxonomy, which the orders API does not return.)
LANGUAGE_META_KEYS = ("wpml_language",)
# Kept on the order by the core Fulfillments feature (WooCommerce 10.1+).
FULFILLMENT_STATUS_META_KEY = "_fulfillment_status"
# Not sent by WooCommerce: where a caller attaches GET /wc/v3/orders/<id>/fulfillments to the order.
FULFILLMENTS_KEY = "fulfillments"

CENT = Decimal("0.01")
MAX_EXTERNAL_ID = 64  # the shipments table's external_id column
_MISSING: Any = object()
_MONTHS = {
    name: number
    for number, name in enumerate(
        ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
         "november", "december"),
        start=1,
    )
}
# WordPress's default date_format ("F j, Y"), which AST's REST API uses for date_shipped.
_WP_DEFAULT_DATE = re.compile(r"([A-Za-z]+)\s+(\d{1,2}),\s*(\d{4})")


def normalize_order(payload: Mapping[str, Any]) -> Order:
    """A wc/v3 order (webhook body or GET /orders item) as an Order."""
    data = _object(payload, "order")
    order_id = _id(data.get("id", _MISSING), "order.id")
    currency = _currency(data)
    created_at = _gmt(data, "date_created", "order")
    updated_at = _gmt(data, "date_modified", "order")
    status = _text(data, "status", "order")
    meta = _meta(data, "order")
    locale = _locale(meta)
    prices_include_tax = _flag(data, "prices_include_tax", "order")
    line_items = tuple(
        _line_item(item, currency, prices_include_tax, f"order.line_items[{i}]")
        for i, item in enumerate(_list(data, "line_items", "order"))
    )
    refunds = tuple(
        _refund(item, currency, updated_at, f"order.refunds[{i}]")
        for i, item in enumerate(_list(data, "refunds", "order"))
    )
    financial_status, fulfillment_status = order_statuses(
        status, has_refunds=bool(refunds), fulfillment_meta=_meta_text(meta, FULFILLMENT_STATUS_META_KEY)
    )
    return Order(
        external_id=order_id,
        number=_number(data, order_id),
        created_at=created_at,
        updated_at=updated_at,
        customer=_customer(data, locale),
        total=Money(_amount(data.get("total", _MISSING), "order.total"), currency),
        locale=locale,
        line_items=line_items,
        shipping_address=_address(data.get("shipping"), "order.shipping"),
        shipments=_order_shipments(order_id, data, meta, status, line_items, updated_at),
        refunds=refunds,
        cancelled_at=updated_at if is_cancelled_order(status) else None,
        financial_status=financial_status,
        fulfillment_status=fulfillment_status,
    )


def normalize_trackings(
    order_id: str,
    items: Sequence[Mapping[str, Any]] | Mapping[str, Any],
    order_updated_at: datetime,
    line_items: Sequence[LineItem] = (),
    *,
    trackship: object = None,
    where: str = "trackings",
) -> tuple[Shipment, ...]:
    """Tracking items as Shipments: the `_wc_shipment_tracking_items` meta value, or the body of
    GET /wp-json/wc-shipment-tracking/v3/orders/<id>/shipment-trackings or
    GET /wp-json/wc-ast/v3/orders/<id>/shipment-trackings.

    `line_items` lets AST's products_list (and an item without one) name order lines; `trackship` is
    the `shipment_status` order meta value, if any. An item without a tracking number is skipped.
    """
    _require_aware(order_updated_at)
    statuses = _trackship_statuses(trackship, f"{where}.shipment_status")
    shipments = []
    for key, path, raw in _entries(items, where):
        shipment = _tracking(order_id, raw, path, order_updated_at, line_items, statuses.get(key))
        if shipment is not None:
            shipments.append(shipment)
    return tuple(shipments)


def normalize_fulfillments(
    order_id: str,
    items: Sequence[Mapping[str, Any]] | Mapping[str, Any],
    *,
    utc_offset: timedelta = timedelta(0),
    where: str = "fulfillments",
) -> tuple[Shipment, ...]:
    """The body of GET /wp-json/wc/v3/orders/<id>/fulfillments as Shipments.

    WooCommerce writes date_updated and _date_fulfilled with current_time('mysql'): the site's local
    time without an offset. `utc_offset` is the site's offset (normalize_order takes it from the
    order's date_modified minus date_modified_gmt); a value carrying its own offset is used as is.
    """
    return tuple(_fulfillment(order_id, raw, path, utc_offset) for _, path, raw in _entries(items, where))


# --- the order's parts ----------------------------------------------------------------------------------


def _order_shipments(
    order_id: str,
    data: Mapping[str, Any],
    meta: Mapping[str, tuple[str, Any]],
    status: str | None,
    line_items: Sequence[LineItem],
    updated_at: datetime,
) -> tuple[Shipment, ...]:
    """Tracking plugins first, then core fulfillments, then the completed order as a shipment."""
    shipments: list[Shipment] = []
    path, value = meta.get(TRACKING_META_KEY, ("", None))
    if value is not None:
        _, trackship = meta.get(TRACKSHIP_META_KEY, ("", None))
        shipments.extend(normalize_trackings(order_id, value, updated_at, line_items, trackship=trackship, where=path))
    fulfillments = data.get(FULFILLMENTS_KEY)
    if fulfillments is not None:
        known = {_number_key(s.tracking_number) for s in shipments if s.tracking_number}
        for shipment in normalize_fulfillments(
            order_id, fulfillments, utc_offset=_site_offset(data), where=f"order.{FULFILLMENTS_KEY}"
        ):
            # A store running a tracking plugin and core fulfillments may hold one parcel twice.
            if shipment.tracking_number and _number_key(shipment.tracking_number) in known:
                continue
            shipments.append(shipment)
    if not shipments and (status or "").strip().lower() == "completed":
        # A completed order without tracking is still a shipment the merchant can add tracking to.
        completed_at = _opt_gmt(data, "date_completed", "order") or updated_at
        shipments.append(
            Shipment(
                external_id=f"{order_id}-completed",
                status=ShipmentStatus.PENDING,
                created_at=completed_at,
                updated_at=max(completed_at, updated_at),
                items=_whole_order(line_items),
            )
        )
    return tuple(shipments)


def _line_item(value: object, currency: str, prices_include_tax: bool, where: str) -> LineItem:
    """One order line; variation_id 0 and product_id 0 (a deleted product) mean none."""
    data = _object(value, where)
    quantity = _count(data.get("quantity", _MISSING), f"{where}.quantity")
    variant_id = _ref_id(data, "variation_id", where)
    return LineItem(
        external_id=_id(data.get("id", _MISSING), f"{where}.id"),
        title=_name(data, where),
        quantity=quantity,
        price=Money(_unit_price(data, quantity, prices_include_tax, where), currency),
        sku=_text(data, "sku", where),
        variant_title=_variant_title(data, where) if variant_id else None,
        product_id=_ref_id(data, "product_id", where),
        variant_id=variant_id,
    )


def _unit_price(data: Mapping[str, Any], quantity: int, prices_include_tax: bool, where: str) -> Decimal:
    """One unit before discounts, in cents, as the shop showed it.

    WooCommerce's `price` is the line total over the quantity, unrounded and without tax (24.793388
    for a 30.00 EUR shirt with 21 % IVA). The 2-decimal `subtotal` over the quantity is the catalogue
    price; a shop whose prices include tax showed it with `subtotal_tax` added, as Shopify's price is.
    """
    subtotal = data.get("subtotal")
    if quantity == 0 or subtotal is None or subtotal == "":
        return _cents(_amount(data.get("price", _MISSING), f"{where}.price"), f"{where}.price")
    line = _amount(subtotal, f"{where}.subtotal")
    tax = data.get("subtotal_tax")
    if prices_include_tax and tax is not None and tax != "":
        line += _amount(tax, f"{where}.subtotal_tax")
    return _cents(line / quantity, f"{where}.subtotal")


def _variant_title(data: Mapping[str, Any], where: str) -> str | None:
    """The variation's attribute values ("Azul marino / M") from the line's formatted meta.

    WooCommerce stores a variation's attributes under their slug ("pa_color" for global attributes,
    the sanitised name for local ones); other meta (hidden "_" keys, core's translated "Backordered",
    add-on plugins' labels) has a key with capitals or spaces and is left out.
    """
    values = []
    for i, raw in enumerate(_list(data, "meta_data", where)):
        entry = _object(raw, f"{where}.meta_data[{i}]")
        key = entry.get("key")
        display = entry.get("display_value")
        if not isinstance(key, str) or key.startswith("_") or key != key.lower() or any(c.isspace() for c in key):
            continue
        if isinstance(display, str) and display.strip():
            values.append(display.strip())
    return " / ".join(values) or None


def _customer(data: Mapping[str, Any], locale: str | None) -> Customer:
    """The shopper from the billing details; customer_id 0 is a guest checkout."""
    billing = _object_or_empty(data.get("billing"), "order.billing")
    return Customer(
        external_id=_ref_id(data, "customer_id", "order"),
        email=_text(billing, "email", "order.billing"),
        first_name=_text(billing, "first_name", "order.billing"),
        last_name=_text(billing, "last_name", "order.billing"),
        locale=locale,
    )


def _address(value: object, where: str) -> Address | None:
    """The shipping address; a virtual order's all-blank one is no address."""
    data = _object_or_empty(value, where)
    name = " ".join(p for p in (_text(data, "first_name", where), _text(data, "last_name", where)) if p)
    address = Address(
        name=name or None,
        company=_text(data, "company", where),
        line1=_text(data, "address_1", where),
        line2=_text(data, "address_2", where),
        city=_text(data, "city", where),
        region=_text(data, "state", where),
        postal_code=_text(data, "postcode", where),
        country_code=_text(data, "country", where),
        phone=_text(data, "phone", where),
    )
    return None if address == Address() else address


def _refund(value: object, currency: str, order_updated_at: datetime, where: str) -> Refund:
    """A refund as the order lists it: {id, reason, total: "-5.00"}; the amount is made positive."""
    data = _object(value, where)
    return Refund(
        external_id=_id(data.get("id", _MISSING), f"{where}.id"),
        amount=Money(abs(_amount(data.get("total", _MISSING), f"{where}.total")), currency),
        # Refunds inside the order carry no date. Making one modified the order, so the order's
        # date_modified is the closest there is (it moves on if the order changes again later).
        created_at=order_updated_at,
        note=_text(data, "reason", where),
    )


def _locale(meta: Mapping[str, tuple[str, Any]]) -> str | None:
    """The language the order was placed in, when a multilingual plugin recorded it."""
    for key in LANGUAGE_META_KEYS:
        language = _meta_text(meta, key)
        if language:
            return language
    return None


def _number(data: Mapping[str, Any], order_id: str) -> str:
    """What the shopper sees; WooCommerce's own default for a missing number is the id."""
    value = data.get("number")
    if value is None:
        return order_id
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, str):
        return value.strip() or order_id
    raise NormalizeError(f"order.number: expected a string, got {value!r}")


def _currency(data: Mapping[str, Any]) -> str:
    """The order currency; every amount of the order is in it."""
    currency = _text(data, "currency", "order")
    if currency is None:
        raise NormalizeError("order: missing required 'currency'")
    if len(currency) != 3 or not currency.isascii() or not currency.isalpha():
        raise NormalizeError(f"order.currency: not an ISO 4217 code: {currency!r}")
    return currency.upper()


def _site_offset(data: Mapping[str, Any]) -> timedelta:
    """The site's UTC offset when the order was last saved: date_modified minus date_modified_gmt."""
    local, gmt = data.get("date_modified"), data.get("date_modified_gmt")
    if not isinstance(local, str) or not isinstance(gmt, str):
        return timedelta(0)
    try:
        offset = datetime.fromisoformat(local.strip()) - datetime.fromisoformat(gmt.strip())
    except (ValueError, TypeError):  # TypeError: one naive, one aware
        return timedelta(0)
    if abs(offset) > timedelta(hours=14) or offset % timedelta(minutes=15):
        return timedelta(0)
    return offset


# --- tracking plugins -----------------------------------------------------------------------------------


def _tracking(
    order_id: str,
    value: object,
    where: str,
    order_updated_at: datetime,
    line_items: Sequence[LineItem],
    carrier_status: tuple[str | None, datetime | None] | None,
) -> Shipment | None:
    """One tracking item (meta or REST shape); the label exists, so it is at least info_received."""
    data = _object(value, where)
    number = _tracking_number(data.get("tracking_number"), f"{where}.tracking_number")
    if number is None:
        return None
    # The shopper-facing name: a custom provider's name, then the plugin's formatted name (REST and
    # AST), then the provider as stored (a slug in the meta) -- kept as given, never prettified.
    carrier = (
        _text(data, "custom_tracking_provider", where)
        or _text(data, "formatted_tracking_provider", where)
        or _text(data, "tracking_provider", where)
    )
    shipped_at = _shipped_at(data.get("date_shipped"), f"{where}.date_shipped") or order_updated_at
    raw_status, status_at = carrier_status or (None, None)
    status = shipment_status_for(raw_status, has_tracking=True)
    updated_at = max(shipped_at, order_updated_at, status_at or shipped_at)
    events: tuple[TrackingEvent, ...] = ()
    if raw_status:
        events = (TrackingEvent(status=status, occurred_at=status_at or updated_at, raw_status=raw_status),)
    tracking_id = _text(data, "tracking_id", where)
    return Shipment(
        external_id=_bounded(tracking_id) if tracking_id else _hashed_id(order_id, carrier, number),
        status=status,
        created_at=shipped_at,
        updated_at=updated_at,
        carrier=carrier,
        tracking_number=number,
        tracking_url=_tracking_url(data, number, where),
        items=_tracking_items(data, where, line_items),
        events=events,
    )


def _tracking_url(data: Mapping[str, Any], number: str, where: str) -> str | None:
    """The carrier link: REST's tracking_link, the formatted link, then the custom link expanded."""
    for key in ("tracking_link", "formatted_tracking_link", "custom_tracking_link", "ast_tracking_link"):
        link = _text(data, key, where)
        if link:
            # Shipment Tracking keeps a custom link as a sprintf pattern and expands %1$s on display.
            return link.replace("%1$s", number) if key == "custom_tracking_link" else link
    return None


def _tracking_items(data: Mapping[str, Any], where: str, line_items: Sequence[LineItem]) -> tuple[ShipmentItem, ...]:
    """AST's products_list ({product, item_id?, qty}); without one, the item ships the whole order."""
    products = data.get("products_list")
    if products is None or products == "" or products == [] or products == {}:
        return _whole_order(line_items)
    items = []
    for _, path, raw in _entries(products, f"{where}.products_list"):
        entry = _object(raw, path)
        quantity = _loose_count(entry.get("qty", _MISSING), f"{path}.qty")
        item_id = entry.get("item_id")
        if not _blank(item_id):
            line_id: str | None = _id(item_id, f"{path}.item_id")
        else:
            # Older AST names the product (the variation, for a variable product) and not the line.
            line_id = _line_for_product(_id(entry.get("product", _MISSING), f"{path}.product"), line_items)
        if line_id is not None:  # None: the product is no longer a line of this order
            items.append(ShipmentItem(line_id, quantity))
    return tuple(items)


def _line_for_product(product_id: str, line_items: Sequence[LineItem]) -> str | None:
    """The order line holding a product: its variation first, then the product itself."""
    for line in line_items:
        if line.variant_id == product_id:
            return line.external_id
    for line in line_items:
        if line.product_id == product_id:
            return line.external_id
    return None


def _trackship_statuses(value: object, where: str) -> dict[str, tuple[str | None, datetime | None]]:
    """TrackShip's per-item statuses, keyed like the tracking items they follow."""
    if value is None or value == "":
        return {}
    statuses: dict[str, tuple[str | None, datetime | None]] = {}
    for key, path, raw in _entries(value, where):
        if raw is None:
            continue
        entry = _object(raw, path)
        at = entry.get("status_date")
        statuses[key] = (_text(entry, "status", path), _lenient_time(at) if isinstance(at, str) else None)
    return statuses


def _tracking_number(value: object, where: str) -> str | None:
    """A tracking number; some plugins store a numeric one as a JSON number."""
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return str(value)
    if isinstance(value, str):
        return value.strip() or None
    raise NormalizeError(f"{where}: expected a string, got {value!r}")


def _shipped_at(value: object, where: str) -> datetime | None:
    """date_shipped: a unix timestamp in the meta, "YYYY-MM-DD" from the REST APIs.

    AST formats it with the site's date_format option, which may be anything; a string we cannot read
    falls back to the order's date (None here), since the date is informative, not an identity.
    """
    if isinstance(value, bool) or not isinstance(value, int | str | None):
        raise NormalizeError(f"{where}: expected a unix timestamp or a date, got {value!r}")
    if _blank(value):
        return None
    text = str(value).strip()
    if text.isdigit():
        try:
            return datetime.fromtimestamp(int(text), UTC)
        except (OverflowError, OSError, ValueError):
            raise NormalizeError(f"{where}: not a usable unix timestamp: {value!r}") from None
    parsed = _lenient_time(text)
    if parsed is not None:
        return parsed
    match = _WP_DEFAULT_DATE.fullmatch(text)
    if match and match.group(1).lower() in _MONTHS:
        try:
            return datetime(int(match.group(3)), _MONTHS[match.group(1).lower()], int(match.group(2)), tzinfo=UTC)
        except ValueError:
            return None
    return None


def _hashed_id(order_id: str, carrier: str | None, number: str) -> str:
    """A stable id for a tracking item without tracking_id: the order, the provider, the number."""
    digest = hashlib.sha256(f"{(carrier or '').strip().lower()}\x1f{_number_key(number)}".encode()).hexdigest()
    return _bounded(f"{order_id}-trk-{digest[:16]}")


def _bounded(external_id: str) -> str:
    """An id that fits the external_id column; a longer one is replaced by its hash."""
    if len(external_id) <= MAX_EXTERNAL_ID:
        return external_id
    return f"h-{hashlib.sha256(external_id.encode()).hexdigest()[:40]}"


def _number_key(number: str) -> str:
    """A tracking number compared without spaces or case."""
    return "".join(number.split()).upper()


# --- core fulfillments ----------------------------------------------------------------------------------


def _fulfillment(order_id: str, value: object, where: str, utc_offset: timedelta) -> Shipment:
    """One core fulfillment: {id, status, is_fulfilled, date_updated, date_deleted, meta_data}."""
    data = _object(value, where)
    fulfillment_id = _id(data.get("id", _MISSING), f"{where}.id")
    meta = _meta(data, where)
    path, number_value = meta.get("_tracking_number", (f"{where}.meta_data", None))
    number = _tracking_number(number_value, path)
    # The provider slug; WooCommerce 10.7 also reads it as _shipping_provider. "other" is a custom
    # provider whose display name is in _provider_name.
    provider = _meta_text(meta, "_shipment_provider") or _meta_text(meta, "_shipping_provider")
    provider_name = _meta_text(meta, "_provider_name")
    carrier = provider_name if provider == "other" else provider or provider_name
    updated_at = _site_time(data.get("date_updated", _MISSING), f"{where}.date_updated", utc_offset)
    fulfilled_path, fulfilled_value = meta.get("_date_fulfilled", ("", None))
    fulfilled_at = None if _blank(fulfilled_value) else _site_time(fulfilled_value, fulfilled_path, utc_offset)
    deleted = data.get("date_deleted")
    if deleted is not None:
        _site_time(deleted, f"{where}.date_deleted", utc_offset)
    created_at = fulfilled_at or updated_at
    return Shipment(
        external_id=_bounded(f"{order_id}-fulfillment-{fulfillment_id}"),
        status=shipment_status_for(None, has_tracking=number is not None, shipped=_is_fulfilled(data, where)),
        created_at=created_at,
        updated_at=max(created_at, updated_at),
        carrier=carrier,
        tracking_number=number,
        tracking_url=_meta_text(meta, "_tracking_url"),
        items=_fulfillment_items(meta, where),
        cancelled=deleted is not None,
    )


def _is_fulfilled(data: Mapping[str, Any], where: str) -> bool:
    """is_fulfilled (a draft is not); custom statuses carry their own flag, so the flag decides."""
    value = data.get("is_fulfilled")
    if value is None:
        return (_text(data, "status", where) or "").lower() == "fulfilled"
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    raise NormalizeError(f"{where}.is_fulfilled: expected a boolean, got {value!r}")


def _fulfillment_items(meta: Mapping[str, tuple[str, Any]], where: str) -> tuple[ShipmentItem, ...]:
    """The `_items` meta: [{item_id, qty}] naming order lines."""
    path, value = meta.get("_items", (f"{where}.meta_data", None))
    if value is None or value == "":
        return ()
    items = []
    for _, item_path, raw in _entries(value, path):
        entry = _object(raw, item_path)
        items.append(
            ShipmentItem(
                _id(entry.get("item_id", _MISSING), f"{item_path}.item_id"),
                _loose_count(entry.get("qty", _MISSING), f"{item_path}.qty"),
            )
        )
    return tuple(items)


def _whole_order(line_items: Sequence[LineItem]) -> tuple[ShipmentItem, ...]:
    return tuple(ShipmentItem(line.external_id, line.quantity) for line in line_items)


# --- typed readers: every bad shape becomes a NormalizeError naming where it was ------------------------


def _object(value: object, where: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise NormalizeError(f"{where}: expected an object, got {type(value).__name__}")
    return value


def _object_or_empty(value: object, where: str) -> Mapping[str, Any]:
    """An object that may be absent; PHP encodes an empty array as [], which reads as {} here."""
    if value is None or value == []:
        return {}
    return _object(value, where)


def _list(data: Mapping[str, Any], key: str, where: str) -> Sequence[Any]:
    """A JSON array field; absent or null reads as empty."""
    value = data.get(key)
    if value is None:
        return ()
    if not isinstance(value, list):
        raise NormalizeError(f"{where}.{key}: expected a list, got {type(value).__name__}")
    return value


def _entries(value: object, where: str) -> list[tuple[str, str, Any]]:
    """(key, path, item) of a PHP array: a JSON list, or an object once PHP lost the list's keys."""
    if isinstance(value, list):
        return [(str(i), f"{where}[{i}]", item) for i, item in enumerate(value)]
    if isinstance(value, Mapping):
        keys = sorted(value, key=lambda k: (0, int(k), "") if str(k).isdigit() else (1, 0, str(k)))
        return [(str(k), f"{where}[{k}]", value[k]) for k in keys]
    raise NormalizeError(f"{where}: expected a list, got {type(value).__name__}")


def _meta(data: Mapping[str, Any], where: str) -> dict[str, tuple[str, Any]]:
    """meta_data [{id, key, value}] as key -> (path of the value, value); the first of a key wins."""
    found: dict[str, tuple[str, Any]] = {}
    for i, raw in enumerate(_list(data, "meta_data", where)):
        path = f"{where}.meta_data[{i}]"
        entry = _object(raw, path)
        key = entry.get("key")
        if not isinstance(key, str):
            raise NormalizeError(f"{path}.key: expected a string, got {key!r}")
        found.setdefault(key, (f"{path}.value", entry.get("value")))
    return found


def _meta_text(meta: Mapping[str, tuple[str, Any]], key: str) -> str | None:
    path, value = meta.get(key, ("", None))
    if value is None:
        return None
    if not isinstance(value, str):
        raise NormalizeError(f"{path}: expected a string, got {value!r}")
    return value.strip() or None


def _id(value: object, where: str) -> str:
    """A required id as an exact string: a JSON integer or a string of digits, never 0."""
    if value is _MISSING or value is None:
        raise NormalizeError(f"{where}: missing required id")
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return str(value)
    if isinstance(value, str) and value.strip().isdigit() and int(value) > 0:
        return value.strip()
    raise NormalizeError(f"{where}: expected an integer id, got {value!r}")


def _ref_id(data: Mapping[str, Any], key: str, where: str) -> str | None:
    """An id pointing elsewhere (customer, product, variation), where 0 means none."""
    value = data.get(key)
    if _blank(value):
        return None
    return _id(value, f"{where}.{key}")


def _blank(value: object) -> bool:
    """None, "", 0 or "0": how PHP says "no value" for an id or a date."""
    return value is None or (not isinstance(value, bool) and value in ("", 0, "0"))


def _name(data: Mapping[str, Any], where: str) -> str:
    value = data.get("name", _MISSING)
    if value is _MISSING or value is None:
        raise NormalizeError(f"{where}: missing required 'name'")
    if not isinstance(value, str):
        raise NormalizeError(f"{where}.name: expected a string, got {value!r}")
    return value.strip()


def _text(data: Mapping[str, Any], key: str, where: str) -> str | None:
    """An optional string; WooCommerce sends "" for blanks, which reads as absent."""
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise NormalizeError(f"{where}.{key}: expected a string, got {value!r}")
    return value.strip() or None


def _flag(data: Mapping[str, Any], key: str, where: str) -> bool:
    value = data.get(key)
    if value is None:
        return False
    if not isinstance(value, bool):
        raise NormalizeError(f"{where}.{key}: expected a boolean, got {value!r}")
    return value


def _count(value: object, where: str) -> int:
    """A required non-negative JSON integer (a quantity)."""
    if value is _MISSING or value is None:
        raise NormalizeError(f"{where}: missing")
    if isinstance(value, bool) or not isinstance(value, int):
        raise NormalizeError(f"{where}: expected an integer, got {value!r}")
    if value < 0:
        raise NormalizeError(f"{where}: expected a count, got {value}")
    return value


def _loose_count(value: object, where: str) -> int:
    """A count inside plugin meta, where PHP often keeps numbers as strings ("2")."""
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return _count(value, where)


def _amount(value: object, where: str) -> Decimal:
    """Money from a decimal string ("49.90") or a JSON number (49.9), never through float formatting.

    Decimal(str(x)) is exact for a number json.loads made: str() of a float is the shortest text that
    reads back as the same float, which is the text that was in the JSON.
    """
    if value is _MISSING or value is None:
        raise NormalizeError(f"{where}: missing amount")
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise NormalizeError(f"{where}: expected a decimal string or number, got {value!r}")
    text = value.strip() if isinstance(value, str) else str(value)
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise NormalizeError(f"{where}: not a number: {value!r}") from None
    if not amount.is_finite():
        raise NormalizeError(f"{where}: not a finite amount: {value!r}")
    return amount


def _cents(amount: Decimal, where: str) -> Decimal:
    try:
        return amount.quantize(CENT, ROUND_HALF_UP)
    except InvalidOperation:
        raise NormalizeError(f"{where}: amount out of range: {amount}") from None


def _gmt(data: Mapping[str, Any], key: str, where: str) -> datetime:
    """A required date: `<key>_gmt` (naive, UTC), else the site-local `<key>` read the same way."""
    found = _opt_gmt(data, key, where)
    if found is None:
        raise NormalizeError(f"{where}: missing required '{key}_gmt'")
    return found


def _opt_gmt(data: Mapping[str, Any], key: str, where: str) -> datetime | None:
    for name in (f"{key}_gmt", key):
        value = data.get(name)
        if value is not None:
            return _site_time(value, f"{where}.{name}", timedelta(0))
    return None


def _site_time(value: object, where: str, utc_offset: timedelta) -> datetime:
    """An ISO 8601 / MySQL timestamp as aware UTC; a naive one is local time at `utc_offset`."""
    if value is _MISSING or value is None:
        raise NormalizeError(f"{where}: missing timestamp")
    if not isinstance(value, str):
        raise NormalizeError(f"{where}: expected a timestamp string, got {value!r}")
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        raise NormalizeError(f"{where}: not an ISO 8601 timestamp: {value!r}") from None
    if parsed.tzinfo is None:
        return (parsed - utc_offset).replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def _lenient_time(text: str) -> datetime | None:
    """An ISO 8601 date or timestamp in plugin data, naive read as UTC; None when it is not one."""
    try:
        parsed = datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def _require_aware(moment: datetime) -> None:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("order_updated_at must be timezone-aware")
