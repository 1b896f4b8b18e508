"""Where emails go: SMTP when MAIL_URL is set, else the local outbox table."""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Protocol
from urllib.parse import parse_qs, unquote, urlsplit

from app.extensions import db
from app.models import LocalMail


class MailConfigError(ValueError):
    """MAIL_URL cannot be understood."""


class Transport(Protocol):
    def send(self, msg: EmailMessage, message_id: int | None = None) -> None: ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    ssl: bool
    starttls: str  # "opportunistic", "required" or "off"
    username: str | None
    password: str | None
    timeout: float


def parse_mail_url(url: str) -> SmtpSettings:
    """smtp://user:pass@host:587 (STARTTLS when offered) or smtps://host:465 (TLS from the start)."""
    parts = urlsplit(url)
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise MailConfigError(f"MAIL_URL must look like smtp://user:pass@host:587 or smtps://host:465, got {url!r}")
    query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
    starttls = query.get("starttls", "opportunistic")
    if starttls not in ("opportunistic", "required", "off"):
        raise MailConfigError("MAIL_URL starttls= must be opportunistic, required or off")
    is_ssl = parts.scheme == "smtps"
    return SmtpSettings(
        host=parts.hostname,
        port=parts.port or (465 if is_ssl else 587),
        ssl=is_ssl,
        starttls="off" if is_ssl else starttls,
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
        timeout=float(query.get("timeout", "30")),
    )


class SmtpTransport:
    """One SMTP connection reused for a batch of messages."""

    def __init__(self, settings: SmtpSettings) -> None:
        self.settings = settings
        self._conn: smtplib.SMTP | None = None

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        context = ssl.create_default_context()
        conn: smtplib.SMTP
        if s.ssl:
            conn = smtplib.SMTP_SSL(s.host, s.port, timeout=s.timeout, context=context)
        else:
            conn = smtplib.SMTP(s.host, s.port, timeout=s.timeout)
        try:
            conn.ehlo()
            if s.starttls != "off":
                if conn.has_extn("starttls"):
                    conn.starttls(context=context)
                    conn.ehlo()
                elif s.starttls == "required":
                    raise smtplib.SMTPNotSupportedError("server does not offer STARTTLS, which MAIL_URL requires")
            if s.username:
                conn.login(s.username, s.password or "")
        except BaseException:
            conn.close()  # never leave a half-open session behind
            raise
        return conn

    def send(self, msg: EmailMessage, message_id: int | None = None) -> None:
        if self._conn is None:
            self._conn = self._connect()
        self._conn.send_message(msg)

    def close(self) -> None:
        if self._conn is not None:
            try:
                self._conn.quit()
            except smtplib.SMTPException:
                self._conn.close()
            self._conn = None


class LocalOutbox:
    """Development default: the email is stored and shown at /admin/outbox."""

    def send(self, msg: EmailMessage, message_id: int | None = None) -> None:
        html_part = msg.get_body(("html",))
        text_part = msg.get_body(("plain",))
        db.session.add(
            LocalMail(
                message_id=message_id,
                sender=str(msg["From"]),
                recipient=str(msg["To"]),
                subject=str(msg["Subject"]),
                html=html_part.get_content() if html_part is not None else "",  # type: ignore[attr-defined]
                text_body=text_part.get_content() if text_part is not None else "",  # type: ignore[attr-defined]
            )
        )

    def close(self) -> None:
        return None


def open_transport(mail_url: str | None) -> Transport:
    return SmtpTransport(parse_mail_url(mail_url)) if mail_url else LocalOutbox()
