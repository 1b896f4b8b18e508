"""Sending: SMTP settings, auth, failures handed back for retry, languages, the local outbox."""

from __future__ import annotations

import smtplib
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from sqlalchemy import select, update

from app.mail_transport import MailConfigError, parse_mail_url
from app.models import LocalMail, Message
from app.services.delivery import DeliveryFailed, send_messages
from app.services.ingest import claim_pending, process_events
from tests.conftest import SmtpSink, free_port, load_fixture


def queued_message(db: Any, post_shopify: Any, fixture: str = "orders_create.json") -> Message:
    order = load_fixture("shopify", fixture)
    post_shopify("orders/create", order, "e-order")
    post_shopify("fulfillments/create", load_fixture("shopify", "fulfillments_create.json"), "e-ful")
    process_events(claim_pending(100))
    message = db.session.scalar(select(Message))
    assert message is not None and message.status == "queued"
    return message


def test_parse_mail_url() -> None:
    s = parse_mail_url("smtp://user%40x.com:p%3Ass@mail.example.com:2525?starttls=required")
    assert (s.host, s.port, s.ssl, s.starttls, s.username, s.password) == (
        "mail.example.com", 2525, False, "required", "user@x.com", "p:ss")
    s = parse_mail_url("smtps://mail.example.com")
    assert (s.port, s.ssl, s.starttls) == (465, True, "off")
    assert parse_mail_url("smtp://mail.example.com").port == 587
    for bad in ("http://x", "smtp://", "smtp://h?starttls=maybe"):
        with pytest.raises(MailConfigError):
            parse_mail_url(bad)


def test_spanish_order_gets_spanish_email(app: Any, db: Any, shop: Any, post_shopify: Any, smtp: SmtpSink) -> None:
    queued_message(db, post_shopify)
    send_messages([m.id for m in db.session.scalars(select(Message))])
    (mail,) = smtp.messages
    assert mail["Subject"].startswith("Tu pedido #1001")
    text = mail.get_body(("plain",)).get_content()
    assert "Seguir mi pedido" in text and "Track your order" not in text


def test_english_order_gets_english_email(app: Any, db: Any, shop: Any, post_shopify: Any, smtp: SmtpSink) -> None:
    order = load_fixture("shopify", "orders_create.json")
    order["customer_locale"] = "en-GB"
    post_shopify("orders/create", order, "e-order")
    post_shopify("fulfillments/create", load_fixture("shopify", "fulfillments_create.json"), "e-ful")
    process_events(claim_pending(100))
    send_messages([m.id for m in db.session.scalars(select(Message))])
    (mail,) = smtp.messages
    assert mail["Subject"] == "Your order #1001 is on its way"
    assert "Track your order" in mail.get_body(("plain",)).get_content()


def test_smtp_down_hands_the_message_back_for_retry(app: Any, db: Any, shop: Any, post_shopify: Any) -> None:
    message = queued_message(db, post_shopify)
    app.config["MAIL_URL"] = f"smtp://127.0.0.1:{free_port()}?starttls=off&timeout=2"  # nothing listens
    with pytest.raises(DeliveryFailed):
        send_messages([message.id])
    db.session.expire_all()
    again = db.session.get(Message, message.id)
    assert again.status == "queued" and again.attempts == 1 and again.last_error
    # Once the server is back, the retried job sends it exactly once.
    sink = SmtpSink("127.0.0.1", free_port())
    controller = Controller(sink, hostname=sink.host, port=sink.port)
    controller.start()
    try:
        app.config["MAIL_URL"] = sink.url
        assert send_messages([message.id]).sent == 1
        assert send_messages([message.id]).sent == 0
    finally:
        controller.stop()
    assert len(sink.messages) == 1


def test_gives_up_after_max_attempts(app: Any, db: Any, shop: Any, post_shopify: Any) -> None:
    message = queued_message(db, post_shopify)
    app.config["MAIL_URL"] = f"smtp://127.0.0.1:{free_port()}?starttls=off&timeout=2"
    for _ in range(app.config["MESSAGE_MAX_ATTEMPTS"]):
        with pytest.raises(DeliveryFailed):
            send_messages([message.id])
    db.session.expire_all()
    assert db.session.get(Message, message.id).status == "failed"
    assert send_messages([message.id]).skipped == 1  # a failed message is not retried by a stray job


def test_smtp_login(app: Any, db: Any, shop: Any, post_shopify: Any) -> None:
    seen: list[tuple[str, str]] = []

    def authenticator(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
        assert isinstance(data, LoginPassword)
        seen.append((data.login.decode(), data.password.decode()))
        return AuthResult(success=data.password == b"s3cret")

    message = queued_message(db, post_shopify)
    sink = SmtpSink("127.0.0.1", free_port())
    controller = Controller(sink, hostname=sink.host, port=sink.port, authenticator=authenticator,
                            auth_require_tls=False)
    controller.start()
    try:
        app.config["MAIL_URL"] = f"smtp://shop%40example.com:wrong@{sink.host}:{sink.port}?starttls=off&timeout=2"
        with pytest.raises(DeliveryFailed):
            send_messages([message.id])
        app.config["MAIL_URL"] = f"smtp://shop%40example.com:s3cret@{sink.host}:{sink.port}?starttls=off"
        assert send_messages([message.id]).sent == 1
    finally:
        controller.stop()
    assert seen[-1] == ("shop@example.com", "s3cret")
    assert len(sink.messages) == 1


def test_starttls_required_but_not_offered_fails_clearly(app: Any, db: Any, shop: Any, post_shopify: Any,
                                                         smtp: SmtpSink) -> None:
    message = queued_message(db, post_shopify)
    app.config["MAIL_URL"] = smtp.url.replace("starttls=off", "starttls=required")
    with pytest.raises(DeliveryFailed, match="STARTTLS"):
        send_messages([message.id])
    assert smtp.messages == []


def test_without_mail_url_the_email_lands_in_the_local_outbox(app: Any, db: Any, shop: Any, post_shopify: Any,
                                                              client: Any) -> None:
    message = queued_message(db, post_shopify)
    assert app.config["MAIL_URL"] is None
    assert send_messages([message.id]).sent == 1
    mail = db.session.scalar(select(LocalMail))
    assert mail.recipient == "lucia.martin@example.com" and "#1001" in mail.subject
    listing = client.get("/admin/outbox")
    assert listing.status_code == 200 and mail.subject in listing.get_data(as_text=True)
    assert client.get(f"/admin/outbox/{mail.id}").status_code == 200
    assert client.get("/admin/outbox/999999").status_code == 404


def test_outbox_is_hidden_unless_the_dev_admin_is_on(app: Any, client: Any) -> None:
    app.config["DEV_ADMIN"] = False
    try:
        assert client.get("/admin/outbox").status_code == 404
    finally:
        app.config["DEV_ADMIN"] = True


def test_failure_mid_batch_leaves_the_rest_ready_for_the_retry(app: Any, db: Any, shop: Any, post_shopify: Any,
                                                               smtp: SmtpSink) -> None:
    post_shopify("orders/create", load_fixture("shopify", "orders_multiple_fulfillments.json"), "e-multi")
    queued_message(db, post_shopify)
    ids = [m.id for m in db.session.scalars(select(Message).order_by(Message.id))]
    assert len(ids) == 3
    sent_before = len(smtp.messages)
    calls = {"n": 0}
    real_send = smtplib.SMTP.send_message

    def flaky(self: Any, *args: Any, **kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 2:
            raise smtplib.SMTPServerDisconnected("connection dropped")
        return real_send(self, *args, **kwargs)

    smtplib.SMTP.send_message = flaky  # type: ignore[method-assign]
    try:
        with pytest.raises(DeliveryFailed):
            send_messages(ids)
    finally:
        smtplib.SMTP.send_message = real_send  # type: ignore[method-assign]
    db.session.expire_all()
    states = [(m.status, m.attempts) for m in db.session.scalars(select(Message).order_by(Message.id))]
    assert states == [("sent", 1), ("queued", 1), ("queued", 0)]
    assert send_messages(ids).sent == 2  # the retry sends the two others, not the first again
    assert len(smtp.messages) == sent_before + 3


def test_a_message_being_sent_elsewhere_is_not_taken(app: Any, db: Any, shop: Any, post_shopify: Any,
                                                     smtp: SmtpSink) -> None:
    message = queued_message(db, post_shopify)
    db.session.execute(update(Message).values(status="sending", claimed_at=datetime.now(UTC)))
    db.session.commit()
    assert send_messages([message.id]).skipped == 1  # another worker holds a fresh claim
    db.session.execute(update(Message).values(claimed_at=datetime.now(UTC) - timedelta(hours=1)))
    db.session.commit()
    assert send_messages([message.id]).sent == 1  # that worker died: its lease ran out
    assert len(smtp.messages) == 1
