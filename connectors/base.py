"""The Connector Protocol every platform implements, and the registry by name."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

from connectors.model import (
    Address,
    Money,
    Order,
    Product,
    Refund,
    Return,
    ReturnLine,
    ReturnStatus,
    Shipment,
    TrackingEvent,
)


class PlatformError(RuntimeError):
    """The platform refused or failed a call; shown to the merchant, and the write is retried safely later."""


class NotSupported(Exception):
    """A platform cannot do what was asked; said loudly instead of doing nothing."""


class NormalizeError(ValueError):
    """A platform payload does not have the shape the normaliser needs."""


class UnknownPlatform(LookupError):
    """No connector is registered under that name."""


@dataclass(frozen=True, slots=True)
class OrderChange:
    """A webhook that carries a whole order (created, updated, cancelled)."""

    order: Order


@dataclass(frozen=True, slots=True)
class ShipmentChange:
    """A webhook that carries one shipment of an order (a fulfillment)."""

    order_external_id: str
    shipment: Shipment


@dataclass(frozen=True, slots=True)
class TrackingEventChange:
    """One carrier checkpoint on a shipment, arriving on its own (fulfillment_events/create)."""

    order_external_id: str
    shipment_external_id: str
    event: TrackingEvent
    estimated_delivery: datetime | None = None


@dataclass(frozen=True, slots=True)
class OrderDeleted:
    """The store deleted (or trashed) an order: stop telling the shopper about it."""

    order_external_id: str


@dataclass(frozen=True, slots=True)
class RefundChange:
    """Money went back to the shopper on the platform (refunds/create)."""

    order_external_id: str
    refund: Refund


@dataclass(frozen=True, slots=True)
class ReturnChange:
    """A return was requested, approved, declined, cancelled, closed or reopened on the platform."""

    ret: Return
    reopened: bool = False  # returns/reopen: the one change that may take a closed return back to open


@dataclass(frozen=True, slots=True)
class CustomerRedact:
    """Erase one customer's personal data (orders listed, and any order under their email)."""

    customer_external_id: str | None
    email: str | None
    order_external_ids: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class CustomerDataRequest:
    """Produce everything stored about one customer for the merchant."""

    request_id: str | None
    customer_external_id: str | None
    email: str | None
    order_external_ids: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ShopRedact:
    """Erase everything stored for the shop (sent some time after uninstall)."""


@dataclass(frozen=True, slots=True)
class AppUninstalled:
    """The merchant removed the app: stop work, revoke credentials, keep data until ShopRedact."""


Change = (OrderChange | ShipmentChange | TrackingEventChange | OrderDeleted | RefundChange | ReturnChange
          | CustomerRedact | CustomerDataRequest | ShopRedact | AppUninstalled)


@dataclass(frozen=True, slots=True)
class ShopAccess:
    """What a connector needs to call one shop's API (credentials already decrypted and fresh)."""

    domain: str  # Shopify: the myshopify.com domain; WooCommerce: the store's URL
    access_token: str  # Shopify: the Admin API token; WooCommerce: the consumer key
    base_url: str | None = None  # None: the platform's real address; tests point it at a local fake
    secret: str | None = None  # WooCommerce: the consumer secret
    allow_insecure: bool = False  # WooCommerce in development: http:// and private addresses allowed


@dataclass(frozen=True, slots=True)
class TrackingUpdate:
    """Tracking a merchant (or a provider) adds to a shipment, written back to the platform."""

    number: str
    carrier: str | None = None
    url: str | None = None
    notify_customer: bool = False  # Postventa sends its own emails; the platform's stay off by default


@dataclass(frozen=True, slots=True)
class RefundRequest:
    """Money back for some lines of an order; the key makes a retried request refund only once."""

    order_external_id: str
    lines: tuple[tuple[str, int], ...]  # (line item external id, quantity)
    idempotency_key: str
    note: str = ""
    restock: bool = True
    amount: Money | None = None  # None: what the platform suggests for those lines


@dataclass(frozen=True, slots=True)
class RefundResult:
    external_id: str
    amount: Money
    already_done: bool = False  # found from an earlier attempt with the same key


@dataclass(frozen=True, slots=True)
class ReturnRequest:
    """Items going back; the key makes a retried request create only one platform return."""

    order_external_id: str
    lines: tuple[ReturnLine, ...]
    idempotency_key: str


@dataclass(frozen=True, slots=True)
class ReturnResult:
    external_id: str
    status: ReturnStatus
    name: str | None = None
    already_done: bool = False  # the platform already held this (an earlier attempt, or the same state)


@dataclass(frozen=True, slots=True)
class ProcessReturnRequest:
    """Close a platform return: its lines processed, money back only when `refund` (else credit/exchange go apart)."""

    return_external_id: str
    idempotency_key: str
    refund: bool
    note: str = ""
    restock: bool = True


@dataclass(frozen=True, slots=True)
class ProcessReturnResult:
    refund: RefundResult | None  # the refund the processing made (or, when already done, the one found on the return)
    already_done: bool = False  # the platform had processed the return before (a lost answer, or the merchant)


@dataclass(frozen=True, slots=True)
class ReturnShipping:
    """How the items travel back: a tracked parcel and, when there is one, its printable label."""

    tracking_number: str | None = None
    tracking_url: str | None = None
    label_url: str | None = None


@dataclass(frozen=True, slots=True)
class StoreCreditRequest:
    """Credit the shopper can spend in the store (Shopify gift card, WooCommerce coupon), issued once per key."""

    order_external_id: str
    amount: Money
    idempotency_key: str
    customer_email: str | None = None
    note: str = ""


@dataclass(frozen=True, slots=True)
class StoreCreditResult:
    external_id: str
    code: str | None  # what the shopper enters at checkout (the platform may hide a gift card's full code)
    amount: Money
    already_done: bool = False


@dataclass(frozen=True, slots=True)
class ExchangeRequest:
    """A free replacement order for returned items, created once per key."""

    order_external_id: str
    lines: tuple[tuple[str, int], ...]  # (variant external id, quantity)
    idempotency_key: str
    customer_email: str | None = None
    shipping_address: Address | None = None
    note: str = ""


@dataclass(frozen=True, slots=True)
class ExchangeResult:
    external_id: str
    name: str | None = None  # the new order's number, e.g. "#1042"
    already_done: bool = False


@runtime_checkable
class Connector(Protocol):
    """What the app needs from a platform; a method it cannot do raises NotSupported."""

    name: str
    topics: frozenset[str]

    def verify_webhook(self, body: bytes, signature: str | None, secret: str) -> bool:
        """True when the signature header matches the raw body."""
        ...

    def normalize_webhook(self, topic: str, payload: Mapping[str, Any]) -> Change:
        """Turn one webhook payload into a change of the common model."""
        ...

    def add_tracking(self, access: ShopAccess, order_external_id: str, shipment_external_id: str,
                     tracking: TrackingUpdate) -> None:
        """Write tracking onto the platform's shipment (fulfillment) of that order."""
        ...

    def create_refund(self, access: ShopAccess, request: RefundRequest) -> RefundResult:
        """Refund on the platform, exactly once per idempotency key."""
        ...

    def create_return(self, access: ShopAccess, request: ReturnRequest) -> ReturnResult:
        """Record an approved return on the platform, exactly once per idempotency key."""
        ...

    def approve_return(self, access: ShopAccess, return_external_id: str) -> ReturnResult:
        """Approve a return the shopper requested on the platform."""
        ...

    def decline_return(self, access: ShopAccess, return_external_id: str, note: str) -> ReturnResult:
        """Decline a requested return, with a note for the shopper."""
        ...

    def add_return_shipping(self, access: ShopAccess, return_external_id: str, shipping: ReturnShipping) -> str:
        """Attach the label and tracking of the parcel going back; returns the platform's delivery id."""
        ...

    def process_return(self, access: ShopAccess, request: ProcessReturnRequest) -> ProcessReturnResult:
        """Process and close a platform return (refunding in the same step when asked), exactly once."""
        ...

    def get_products(self, access: ShopAccess, product_ids: Sequence[str]) -> list[Product]:
        """The products (tags, collections, variants) behind some line items; unknown ids are left out."""
        ...

    def issue_store_credit(self, access: ShopAccess, request: StoreCreditRequest) -> StoreCreditResult:
        """Give store credit on the platform, exactly once per idempotency key."""
        ...

    def create_exchange_order(self, access: ShopAccess, request: ExchangeRequest) -> ExchangeResult:
        """Create the free replacement order, exactly once per idempotency key."""
        ...


_REGISTRY: dict[str, Callable[[], Connector]] = {}


def register(name: str, factory: Callable[[], Connector]) -> None:
    _REGISTRY[name] = factory


def get_connector(name: str) -> Connector:
    """The connector registered under `name` (e.g. "shopify")."""
    if not _REGISTRY:
        _load_builtin()
    try:
        return _REGISTRY[name]()
    except KeyError:
        raise UnknownPlatform(f"unknown platform: {name!r}") from None


def platforms() -> list[str]:
    if not _REGISTRY:
        _load_builtin()
    return sorted(_REGISTRY)


def _load_builtin() -> None:
    from connectors.shopify import ShopifyConnector
    from connectors.woocommerce import WooCommerceConnector

    register("shopify", ShopifyConnector)
    register("woocommerce", WooCommerceConnector)
