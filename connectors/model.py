"""The common model: the only shape of an order the rest of Postventa speaks."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal


class ShipmentStatus(enum.StrEnum):
    """The nine tracking tags shared across the industry."""

    PENDING = "pending"
    INFO_RECEIVED = "info_received"
    IN_TRANSIT = "in_transit"
    OUT_FOR_DELIVERY = "out_for_delivery"
    ATTEMPT_FAIL = "attempt_fail"
    AVAILABLE_FOR_PICKUP = "available_for_pickup"
    DELIVERED = "delivered"
    EXCEPTION = "exception"
    EXPIRED = "expired"

    @property
    def is_final(self) -> bool:
        return self in (ShipmentStatus.DELIVERED, ShipmentStatus.EXPIRED)


@dataclass(frozen=True, slots=True)
class Money:
    """An amount in one currency; Decimal so cents never drift."""

    amount: Decimal
    currency: str

    def __post_init__(self) -> None:
        if not isinstance(self.amount, Decimal):
            raise TypeError("Money.amount must be a Decimal")
        if len(self.currency) != 3 or not self.currency.isalpha():
            raise ValueError(f"invalid currency code: {self.currency!r}")


@dataclass(frozen=True, slots=True)
class Address:
    name: str | None = None
    company: str | None = None
    line1: str | None = None
    line2: str | None = None
    city: str | None = None
    region: str | None = None
    postal_code: str | None = None
    country_code: str | None = None
    phone: str | None = None


@dataclass(frozen=True, slots=True)
class Customer:
    external_id: str | None
    email: str | None
    first_name: str | None = None
    last_name: str | None = None
    locale: str | None = None

    @property
    def name(self) -> str:
        return " ".join(p for p in (self.first_name, self.last_name) if p)


@dataclass(frozen=True, slots=True)
class LineItem:
    external_id: str
    title: str
    quantity: int
    price: Money
    sku: str | None = None
    variant_title: str | None = None
    product_id: str | None = None
    variant_id: str | None = None


@dataclass(frozen=True, slots=True)
class TrackingEvent:
    """One checkpoint: a status at a time, optionally at a place."""

    status: ShipmentStatus
    occurred_at: datetime
    message: str | None = None
    location: str | None = None
    raw_status: str | None = None


@dataclass(frozen=True, slots=True)
class ShipmentItem:
    line_item_id: str
    quantity: int


@dataclass(frozen=True, slots=True)
class Shipment:
    external_id: str
    status: ShipmentStatus
    created_at: datetime
    updated_at: datetime
    carrier: str | None = None
    tracking_number: str | None = None
    tracking_url: str | None = None
    items: tuple[ShipmentItem, ...] = ()
    events: tuple[TrackingEvent, ...] = ()
    cancelled: bool = False


@dataclass(frozen=True, slots=True)
class Refund:
    external_id: str
    amount: Money
    created_at: datetime
    note: str | None = None


class ReturnStatus(enum.StrEnum):
    """A return as the platform records it (Postventa's own workflow states live in the app)."""

    REQUESTED = "requested"
    OPEN = "open"  # approved: the shopper may send the items back
    DECLINED = "declined"
    CANCELED = "canceled"
    CLOSED = "closed"


@dataclass(frozen=True, slots=True)
class ReturnLine:
    line_item_id: str
    quantity: int
    reason: str | None = None
    note: str | None = None


@dataclass(frozen=True, slots=True)
class Return:
    """A return known to the platform (created there, or by us through the connector)."""

    external_id: str
    order_external_id: str | None
    status: ReturnStatus
    name: str | None = None
    lines: tuple[ReturnLine, ...] = ()
    key: str | None = None  # the idempotency key we created it with, read back from its notes: it is one of ours


@dataclass(frozen=True, slots=True)
class ProductVariant:
    """One sellable variant: what an exchange can ship instead."""

    external_id: str
    title: str
    sku: str | None = None
    price: Money | None = None
    available: bool = True  # in stock (or not tracked), so it can be sent


@dataclass(frozen=True, slots=True)
class Product:
    """What return rules look at (tags, collections) and what an exchange can offer (variants)."""

    external_id: str
    title: str
    tags: tuple[str, ...] = ()
    collections: tuple[str, ...] = ()  # Shopify collection handles; WooCommerce category slugs
    variants: tuple[ProductVariant, ...] = ()


@dataclass(frozen=True, slots=True)
class Order:
    external_id: str
    number: str
    created_at: datetime
    updated_at: datetime
    customer: Customer
    total: Money
    locale: str | None = None
    line_items: tuple[LineItem, ...] = ()
    shipping_address: Address | None = None
    shipments: tuple[Shipment, ...] = field(default=())
    refunds: tuple[Refund, ...] = ()
    cancelled_at: datetime | None = None
    financial_status: str | None = None
    fulfillment_status: str | None = None
    tags: tuple[str, ...] = ()  # the merchant's order tags (e.g. "final-sale"), as return rules read them
