"""SQL tables: the source of truth for shops, orders, shipments, events and messages."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db

# SQLite only auto-increments INTEGER PRIMARY KEY; PostgreSQL gets a real BIGINT.
BigId = BigInteger().with_variant(Integer(), "sqlite")


def utcnow() -> datetime:
    return datetime.now(UTC)


def new_page_version() -> int:
    """A fresh random version: unlike a counter, never equal to one a reused row id once had."""
    return secrets.randbits(62)


class UTCDateTime(db.TypeDecorator):  # type: ignore[name-defined]
    """Timezone-aware UTC datetimes on every backend (SQLite drops the offset)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Shop(db.Model):  # type: ignore[name-defined]
    __tablename__ = "shops"
    __table_args__ = (UniqueConstraint("platform", "domain"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    platform: Mapped[str] = mapped_column(String(20))
    domain: Mapped[str] = mapped_column(String(255))
    name: Mapped[str] = mapped_column(String(255))
    settings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    webhook_secret_enc: Mapped[str | None] = mapped_column(Text)
    access_token_enc: Mapped[str | None] = mapped_column(Text)
    access_token_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    refresh_token_enc: Mapped[str | None] = mapped_column(Text)
    refresh_token_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    scopes: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    installed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    uninstalled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Reconciliation: when the platform was last re-read, and when a re-read was last handed to the queue.
    reconciled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reconcile_enqueued_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # WooCommerce: the store's base URL and its REST keys (Fernet-encrypted JSON); Shopify uses the token columns.
    store_url: Mapped[str | None] = mapped_column(Text)
    credentials_enc: Mapped[str | None] = mapped_column(Text)
    # Replaced whenever what the tracking page shows of the shop changes (app/services/page_versions.py).
    page_version: Mapped[int] = mapped_column(BigInteger, default=new_page_version, server_default=text("0"))


class WebhookEvent(db.Model):  # type: ignore[name-defined]
    """Every inbound webhook, stored before it is acknowledged."""

    __tablename__ = "webhook_events"
    __table_args__ = (
        UniqueConstraint("shop_id", "event_id"),
        Index("ix_webhook_events_pending", "id", postgresql_where=text("status = 'pending'"),
              sqlite_where=text("status = 'pending'")),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    event_id: Mapped[str] = mapped_column(String(255))
    topic: Mapped[str] = mapped_column(String(100))
    payload: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Order(db.Model):  # type: ignore[name-defined]
    __tablename__ = "orders"
    __table_args__ = (UniqueConstraint("shop_id", "external_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"), index=True)
    external_id: Mapped[str] = mapped_column(String(64))
    number: Mapped[str] = mapped_column(String(64))
    email: Mapped[str | None] = mapped_column(String(320))
    customer_name: Mapped[str | None] = mapped_column(String(255))
    locale: Mapped[str | None] = mapped_column(String(20))
    currency: Mapped[str] = mapped_column(String(3))
    total_amount: Mapped[Decimal] = mapped_column(Numeric(18, 4))
    shipping_address: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    financial_status: Mapped[str | None] = mapped_column(String(40))
    fulfillment_status: Mapped[str | None] = mapped_column(String(40))
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)  # the merchant's order tags ("final-sale")
    placed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    platform_updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Replaced whenever the order, its items, shipments or tracking events change (app/services/page_versions.py).
    page_version: Mapped[int] = mapped_column(BigInteger, default=new_page_version, server_default=text("0"))

    shop: Mapped[Shop] = relationship()
    line_items: Mapped[list[LineItem]] = relationship(
        back_populates="order", order_by="LineItem.id", cascade="all, delete-orphan"
    )
    # Parcels going to the shopper; a return's parcel coming back is a Shipment too, but not listed here.
    shipments: Mapped[list[Shipment]] = relationship(
        back_populates="order", order_by="Shipment.id", cascade="all, delete-orphan",
        primaryjoin="and_(Order.id == Shipment.order_id, Shipment.is_return.is_(False))",
    )


class LineItem(db.Model):  # type: ignore[name-defined]
    __tablename__ = "line_items"
    __table_args__ = (UniqueConstraint("order_id", "external_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"))
    external_id: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(500))
    variant_title: Mapped[str | None] = mapped_column(String(255))
    sku: Mapped[str | None] = mapped_column(String(255))
    quantity: Mapped[int] = mapped_column(Integer)
    price_amount: Mapped[Decimal] = mapped_column(Numeric(18, 4))
    product_id: Mapped[str | None] = mapped_column(String(64))
    variant_id: Mapped[str | None] = mapped_column(String(64))

    order: Mapped[Order] = relationship(back_populates="line_items")


class Shipment(db.Model):  # type: ignore[name-defined]
    __tablename__ = "shipments"
    __table_args__ = (UniqueConstraint("order_id", "external_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    external_id: Mapped[str] = mapped_column(String(64))
    carrier: Mapped[str | None] = mapped_column(String(100))
    tracking_number: Mapped[str | None] = mapped_column(String(100))
    tracking_url: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(30))
    status_at: Mapped[datetime] = mapped_column(UTCDateTime)
    items: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    cancelled: Mapped[bool] = mapped_column(Boolean, default=False)
    platform_updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # What delivery estimates are learned from: the carrier's code and service, where it goes, how long it took.
    carrier_code: Mapped[str | None] = mapped_column(String(40))
    carrier_overridden: Mapped[bool] = mapped_column(Boolean, default=False)  # the merchant chose it
    service: Mapped[str | None] = mapped_column(String(80))
    destination: Mapped[str | None] = mapped_column(String(40))  # "ES-M", or just "ES"
    shipped_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_event_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    promised_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # the carrier's own estimate, when known
    eta_start: Mapped[datetime | None] = mapped_column(UTCDateTime)
    eta_end: Mapped[datetime | None] = mapped_column(UTCDateTime)
    eta_source: Mapped[str | None] = mapped_column(String(20))  # history | carrier | default
    eta_basis: Mapped[str | None] = mapped_column(Text)  # how the estimate was made, for the merchant
    delay_reason: Mapped[str | None] = mapped_column(String(20))  # late | stuck | exception
    delayed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    exception_reason: Mapped[str | None] = mapped_column(Text)  # the carrier's words, for the merchant
    # A tracking provider following this parcel: its id for the tracker, and when to ask it again.
    provider: Mapped[str | None] = mapped_column(String(20))
    provider_id: Mapped[str | None] = mapped_column(String(100), index=True)
    next_poll_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    is_return: Mapped[bool] = mapped_column(Boolean, default=False)  # a return's parcel on its way to the store

    order: Mapped[Order] = relationship(back_populates="shipments")
    events: Mapped[list[TrackingEvent]] = relationship(
        back_populates="shipment", order_by="TrackingEvent.occurred_at", cascade="all, delete-orphan"
    )


class TrackingEvent(db.Model):  # type: ignore[name-defined]
    __tablename__ = "tracking_events"
    __table_args__ = (UniqueConstraint("shipment_id", "status", "occurred_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    shipment_id: Mapped[int] = mapped_column(ForeignKey("shipments.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(30))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    message: Mapped[str | None] = mapped_column(Text)
    location: Mapped[str | None] = mapped_column(String(255))
    raw_status: Mapped[str | None] = mapped_column(String(100))

    shipment: Mapped[Shipment] = relationship(back_populates="events")


class Message(db.Model):  # type: ignore[name-defined]
    """One email the app will send, unique on its idempotency key (the outbox)."""

    __tablename__ = "messages"
    __table_args__ = (
        Index("ix_messages_due", "send_at", postgresql_where=text("status = 'queued'"),
              sqlite_where=text("status = 'queued'")),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(255), unique=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"), index=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    shipment_id: Mapped[int | None] = mapped_column(ForeignKey("shipments.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(40))
    return_id: Mapped[int | None] = mapped_column(ForeignKey("returns.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(20), default="queued")
    send_at: Mapped[datetime] = mapped_column(UTCDateTime)
    enqueued_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    recipient: Mapped[str | None] = mapped_column(String(320))
    subject: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    order: Mapped[Order] = relationship()
    shipment: Mapped[Shipment | None] = relationship()
    ret: Mapped[Return | None] = relationship()


class LocalMail(db.Model):  # type: ignore[name-defined]
    """An email delivered to the local outbox because no MAIL_URL is set."""

    __tablename__ = "local_mail"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id", ondelete="SET NULL"))
    sender: Mapped[str] = mapped_column(String(320))
    recipient: Mapped[str] = mapped_column(String(320))
    subject: Mapped[str] = mapped_column(Text)
    html: Mapped[str] = mapped_column(Text)
    text_body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class DataRequest(db.Model):  # type: ignore[name-defined]
    """A customer's data, gathered for the merchant after a privacy (data subject) request."""

    __tablename__ = "data_requests"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"), index=True)
    request_external_id: Mapped[str | None] = mapped_column(String(64))
    customer_email: Mapped[str | None] = mapped_column(String(320))
    export: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class InstallState(db.Model):  # type: ignore[name-defined]
    """The random state of one OAuth install, used once, so a callback cannot be forged or replayed."""

    __tablename__ = "install_states"

    state: Mapped[str] = mapped_column(String(64), primary_key=True)
    shop_domain: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Backfill(db.Model):  # type: ignore[name-defined]
    """One import of a shop's recent orders; the cursor makes it resumable after a crash."""

    __tablename__ = "backfills"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(20), default="running")
    since: Mapped[datetime] = mapped_column(UTCDateTime)
    cursor: Mapped[str | None] = mapped_column(Text)
    total: Mapped[int | None] = mapped_column(Integer)
    orders: Mapped[int] = mapped_column(Integer, default=0)
    skipped: Mapped[int] = mapped_column(Integer, default=0)
    pages: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Refund(db.Model):  # type: ignore[name-defined]
    """Money that went back to the shopper on the platform, whoever started it."""

    __tablename__ = "refunds"
    __table_args__ = (UniqueConstraint("order_id", "external_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    external_id: Mapped[str] = mapped_column(String(64))
    amount: Mapped[Decimal] = mapped_column(Numeric(18, 4))
    currency: Mapped[str] = mapped_column(String(3))
    note: Mapped[str | None] = mapped_column(Text)
    refunded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Return(db.Model):  # type: ignore[name-defined]
    """A return: Postventa's own workflow (`status`) beside what the store's platform says (`platform_status`)."""

    __tablename__ = "returns"
    __table_args__ = (UniqueConstraint("shop_id", "external_id"), UniqueConstraint("shop_id", "submission_key"),
                      UniqueConstraint("shop_id", "rma"))

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"), index=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    external_id: Mapped[str | None] = mapped_column(String(64))
    name: Mapped[str | None] = mapped_column(String(64))
    platform_status: Mapped[str | None] = mapped_column(String(20))
    lines: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The shopper's request (portal) or the platform's (webhook), and where it stands in Postventa.
    rma: Mapped[str | None] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(20), default="requested")
    source: Mapped[str] = mapped_column(String(20), default="platform")  # portal | platform
    submission_key: Mapped[str | None] = mapped_column(String(64))  # one return per submitted form
    outcome: Mapped[str | None] = mapped_column(String(20))  # refund | store_credit | exchange
    reason: Mapped[str | None] = mapped_column(String(64))
    comment: Mapped[str | None] = mapped_column(Text)
    language: Mapped[str | None] = mapped_column(String(5))
    decision_note: Mapped[str | None] = mapped_column(Text)  # the merchant's words to the shopper
    auto_approved: Mapped[bool] = mapped_column(Boolean, default=False)
    value_amount: Mapped[Decimal | None] = mapped_column(Numeric(18, 4))
    currency: Mapped[str | None] = mapped_column(String(3))
    exchange_lines: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)  # [{"line_item_id", "variant_id", ...}]
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    received_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Work the queue does for it; each state is pending -> done | failed, retried safely (idempotency keys).
    label_state: Mapped[str] = mapped_column(String(20), default="none")
    label_attempts: Mapped[int] = mapped_column(Integer, default=0)
    label_error: Mapped[str | None] = mapped_column(Text)
    label_provider: Mapped[str | None] = mapped_column(String(20))
    label_id: Mapped[str | None] = mapped_column(String(100))
    label_url: Mapped[str | None] = mapped_column(Text)
    label_qr_url: Mapped[str | None] = mapped_column(Text)
    label_pdf: Mapped[bytes | None] = mapped_column(LargeBinary)
    shipment_id: Mapped[int | None] = mapped_column(ForeignKey("shipments.id", ondelete="SET NULL"))
    resolution_state: Mapped[str] = mapped_column(String(20), default="none")
    resolution_attempts: Mapped[int] = mapped_column(Integer, default=0)
    resolution_error: Mapped[str | None] = mapped_column(Text)
    resolution_ref: Mapped[str | None] = mapped_column(String(100))  # the platform's refund / gift card / order id
    resolution_code: Mapped[str | None] = mapped_column(String(100))  # store credit code, exchange order name
    resolution_amount: Mapped[Decimal | None] = mapped_column(Numeric(18, 4))
    sync_state: Mapped[str] = mapped_column(String(20), default="none")  # the return written to the platform
    sync_error: Mapped[str | None] = mapped_column(Text)
    task_enqueued_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    order: Mapped[Order] = relationship()
    shipment: Mapped[Shipment | None] = relationship()
    events: Mapped[list[ReturnEvent]] = relationship(order_by="ReturnEvent.id", cascade="all, delete-orphan")
    photos: Mapped[list[ReturnPhoto]] = relationship(order_by="ReturnPhoto.id", cascade="all, delete-orphan")


class ReturnEvent(db.Model):  # type: ignore[name-defined]
    """One step of a return's timeline, shown to the shopper and the merchant."""

    __tablename__ = "return_events"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    return_id: Mapped[int] = mapped_column(ForeignKey("returns.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(20))
    note: Mapped[str | None] = mapped_column(Text)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ReturnPhoto(db.Model):  # type: ignore[name-defined]
    """A photo the shopper attached (validated, re-encoded), kept in SQL with the return."""

    __tablename__ = "return_photos"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    return_id: Mapped[int] = mapped_column(ForeignKey("returns.id", ondelete="CASCADE"), index=True)
    content_type: Mapped[str] = mapped_column(String(40))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class WooConnection(db.Model):  # type: ignore[name-defined]
    """One "Connect WooCommerce" attempt: the unguessable user_id the store sends back with the keys."""

    __tablename__ = "woo_connections"

    user_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    store_url: Mapped[str] = mapped_column(Text)
    shop_id: Mapped[int | None] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Engagement(db.Model):  # type: ignore[name-defined]
    """A shopper opening an email, clicking its link, viewing the tracking page or looking an order up."""

    __tablename__ = "engagement"
    __table_args__ = (Index("ix_engagement_shop_kind", "shop_id", "kind", "created_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(20))  # open | click | page_view | lookup
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
