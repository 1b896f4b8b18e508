"""Sending outbox messages: claim, render, send, mark sent; each message at most once."""

from __future__ import annotations

import logging
import smtplib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formataddr, parseaddr
from typing import Any
from urllib.parse import urlsplit

from flask import current_app
from sqlalchemy import case, select, update
from sqlalchemy.orm import selectinload

from app.emails import render
from app.extensions import db
from app.i18n import pick_language
from app.mail_transport import Transport, open_transport
from app.models import Message, Order, Shop
from app.services import engagement, return_policy
from app.services.links import tracking_url
from app.services.return_links import portal_order_url, return_url
from app.services.shops import shop_settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SendResult:
    sent: int = 0
    skipped: int = 0


class DeliveryFailed(Exception):
    """Sending failed for a reason worth retrying; RQ's Retry takes it from here."""


def send_messages(message_ids: list[int]) -> SendResult:
    """Send a batch over one connection; a message already sent or taken elsewhere is skipped."""
    transport = open_transport(current_app.config["MAIL_URL"])
    session = db.session()
    sent = skipped = 0
    try:
        loaded = {m.id: m for m in _preload(message_ids)}
        # What _preload read stays usable across the per-message commits: no reload per email.
        session.expire_on_commit = False
        claimed = _claim(message_ids)
        for position, message_id in enumerate(message_ids):
            message = loaded.get(message_id)
            if message is None or message_id not in claimed:
                skipped += 1
                continue
            try:
                _send_one(transport, message)
            except DeliveryFailed:
                _release([i for i in message_ids[position + 1 :] if i in claimed])
                raise
            sent += 1
    finally:
        session.expire_on_commit = True
        transport.close()
    return SendResult(sent, skipped)


def _preload(message_ids: list[int]) -> list[Message]:
    """One query set for the whole batch instead of lazy loads per message."""
    return list(db.session.scalars(
        select(Message)
        .where(Message.id.in_(message_ids))
        .options(
            selectinload(Message.order).selectinload(Order.line_items),
            selectinload(Message.order).selectinload(Order.shop),
            selectinload(Message.shipment),
            selectinload(Message.ret),
        )
    ))


def _claim(message_ids: list[int]) -> set[int]:
    """queued -> sending for the whole batch, committed before any byte goes out.

    A message already 'sending' is taken only once its claim is older than the lease (its worker died).
    """
    now = datetime.now(UTC)
    stale = now - timedelta(seconds=current_app.config["CLAIM_LEASE_SECONDS"])
    rows = db.session.execute(
        update(Message)
        .where(Message.id.in_(message_ids))
        .where((Message.status == "queued") | ((Message.status == "sending") & (Message.claimed_at < stale)))
        .values(status="sending", claimed_at=now, attempts=Message.attempts + 1)
        .returning(Message.id)
        .execution_options(synchronize_session=False)  # keep the preloaded batch; nothing here reads these
    )
    claimed = {row[0] for row in rows}
    db.session.commit()
    return claimed


def _release(message_ids: list[int]) -> None:
    """Claimed but not attempted (an earlier send failed): back to queued for the retry, attempt not counted."""
    if message_ids:
        db.session.execute(
            update(Message)
            .where(Message.id.in_(message_ids), Message.status == "sending")
            .values(status="queued", attempts=Message.attempts - 1)
            .execution_options(synchronize_session=False)
        )
        db.session.commit()


def _send_one(transport: Transport, message: Message) -> None:
    message_id = message.id
    try:
        email = build_email(message)
        transport.send(email, message_id)
    except (smtplib.SMTPException, OSError) as exc:
        db.session.rollback()
        _give_back(message_id, exc)
        raise DeliveryFailed(f"message {message_id}: {exc}") from exc
    _set(message_id, status="sent", sent_at=datetime.now(UTC), subject=str(email["Subject"]), last_error=None)


def _give_back(message_id: int, exc: Exception) -> None:
    """Back to queued for the retry, or failed once it has had its tries."""
    max_attempts = current_app.config["MESSAGE_MAX_ATTEMPTS"]
    status = case((Message.attempts >= max_attempts, "failed"), else_="queued")
    _set(message_id, status=status, last_error=str(exc)[:2000])


def _set(message_id: int, **values: Any) -> None:
    """Write a message's state in SQL directly: the preloaded ORM copy is deliberately not refreshed."""
    db.session.execute(
        update(Message).where(Message.id == message_id).values(**values).execution_options(synchronize_session=False)
    )
    db.session.commit()


def message_context(message: Message) -> dict[str, Any]:
    order = message.order
    shop = db.session.get(Shop, message.shop_id)
    assert shop is not None
    shipment = message.shipment
    items = order.line_items
    if shipment is not None and shipment.items:
        wanted = {str(i["line_item_id"]): int(i["quantity"]) for i in shipment.items}
        items = [li for li in order.line_items if li.external_id in wanted] or order.line_items
    ret = message.ret
    language = pick_language(order.locale)
    policy = return_policy.from_settings(shop.settings)
    if ret is not None:
        wanted = {str(line["line_item_id"]): int(line["quantity"]) for line in ret.lines}
        items = [li for li in order.line_items if li.external_id in wanted]
        language = pick_language(ret.language or order.locale)
    return {
        "shop": shop_settings(shop),
        "order": order,
        "first_name": (order.customer_name or "").split(" ")[0],
        "shipment": shipment,
        "items": items,
        "tracking_link": engagement.click_url(message.id, tracking_url(order.id)),
        "open_pixel": engagement.open_pixel_url(message.id),
        "ret": ret,
        "return_link": engagement.click_url(message.id, return_url(shop, ret.id)) if ret else "",
        "returns_link": engagement.click_url(message.id, portal_order_url(shop, order.id)),
        "policy_text": return_policy.summary(policy, language) if policy.enabled else "",
        "reason_label": reason.label(language) if ret is not None and (reason := policy.reason(ret.reason)) else "",
    }


def build_email(message: Message) -> EmailMessage:
    locale = message.ret.language if message.ret is not None and message.ret.language else message.order.locale
    rendered = render(message.kind, locale, message_context(message))
    shop = db.session.get(Shop, message.shop_id)
    assert shop is not None
    sender = current_app.config["MAIL_FROM"]
    email = EmailMessage()
    email["Subject"] = rendered.subject
    email["From"] = _with_display_name(sender, shop_settings(shop)["name"])
    email["To"] = message.recipient or message.order.email or ""
    # Stable per message: a resend after a crash is recognisably the same email.
    host = urlsplit(current_app.config["APP_URL"]).hostname or "postventa.local"
    email["Message-ID"] = f"<message-{message.id}.{message.shop_id}@{host}>"
    email["X-Postventa-Key"] = message.idempotency_key
    email.set_content(rendered.text)
    email.add_alternative(rendered.html, subtype="html")
    ret = message.ret
    if message.kind == "return_approved" and ret is not None and ret.label_pdf:
        email.add_attachment(ret.label_pdf, maintype="application", subtype="pdf",
                             filename=f"{ret.rma or 'return'}-label.pdf")
    return email


def _with_display_name(sender: str, name: str) -> str:
    """Show the store's name in From while keeping the operator's address."""
    _, addr = parseaddr(sender)
    if not addr:
        return sender
    try:
        Address(addr_spec=addr)
    except (ValueError, IndexError):
        return sender
    return formataddr((name, addr))
