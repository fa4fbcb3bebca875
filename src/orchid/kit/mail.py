"""Sending email: the protocol, an SMTP mailer (the stdlib's smtplib, off the event loop) and a
development mailer that keeps what it sends in memory.

    mail = mailer(settings)           # SmtpMailer on ORCHID_SMTP_URL, else DevMailer
    await mail.send(to="asha@example.in", subject="Your order has shipped",
                    text="…", html="<p>…</p>")

Neither logs a body or a whole address: mail carries order details and personal data.
"""

from __future__ import annotations

import asyncio
import smtplib
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr
from typing import TYPE_CHECKING, Protocol
from urllib.parse import urlsplit

import structlog

from orchid.kit.errors import Unavailable

if TYPE_CHECKING:
    from orchid.config import Settings

__all__ = ["DevMailer", "Mailer", "SentMail", "SmtpMailer", "mailer", "parse_smtp_url"]

log = structlog.get_logger("orchid.mail")
SMTP_TIMEOUT_SECONDS = 10.0  # per socket operation: connect, each command, the data


class Mailer(Protocol):
    """Deliver one message to one address, as plain text with an optional HTML alternative."""

    async def send(self, *, to: str, subject: str, text: str, html: str | None = None) -> None:
        ...


@dataclass(frozen=True)
class SentMail:
    """A message the development mailer kept."""

    to: str
    subject: str
    text: str
    html: str | None = None


def domain_of(address: str) -> str:
    """The part of an address that is safe to log (the domain)."""
    return address.rpartition("@")[2] or "?"


def parse_smtp_url(url: str) -> tuple[str, int]:
    """Return (host, port) of an "smtp://host:port" URL; ValueError naming what is wrong."""
    parts = urlsplit(url)
    if parts.scheme != "smtp":
        raise ValueError(f"ORCHID_SMTP_URL must be smtp://host:port, got scheme "
                         f"{parts.scheme or 'none'!r}")
    try:
        port = parts.port
    except ValueError:
        raise ValueError("ORCHID_SMTP_URL has a port that is not a number 1-65535") from None
    if not parts.hostname or port is None or port == 0:
        raise ValueError("ORCHID_SMTP_URL must name a host and a port: smtp://host:port")
    if parts.username or parts.password or parts.path not in ("", "/") or parts.query:
        raise ValueError("ORCHID_SMTP_URL takes only smtp://host:port (no user, path or query)")
    return parts.hostname, port


class SmtpMailer:
    """Send through an SMTP server without authentication or TLS (a relay on the host or in
    the cluster, or the stack's mail sink).

    Each message opens its own connection in a worker thread; every socket operation times
    out after `timeout` s. A server that cannot be reached or refuses the message raises
    `Unavailable` (503), so a function's delivery fails and the bus tries it again.
    """

    def __init__(self, url: str, sender: str, *, timeout: float = SMTP_TIMEOUT_SECONDS) -> None:
        self.host, self.port = parse_smtp_url(url)
        self.sender, self.timeout = sender, timeout

    def message(self, *, to: str, subject: str, text: str,
                html: str | None = None) -> EmailMessage:
        """Build the MIME message (text, and HTML as its alternative)."""
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = self.sender, to, subject
        message["Date"] = formatdate(localtime=False, usegmt=True)
        message["Message-ID"] = make_msgid(domain=domain_of(parseaddr(self.sender)[1]))
        message.set_content(text)
        if html is not None:
            message.add_alternative(html, subtype="html")
        return message

    async def send(self, *, to: str, subject: str, text: str, html: str | None = None) -> None:
        """Deliver the message to the SMTP server."""
        message = self.message(to=to, subject=subject, text=text, html=html)
        try:
            await asyncio.to_thread(self._deliver, message)
        except (OSError, smtplib.SMTPException) as exc:  # socket errors and timeouts are OSError
            log.warning("mail_unsent", host=self.host, port=self.port, to_domain=domain_of(to),
                        error=type(exc).__name__)
            raise Unavailable("The mail server could not take the message.",
                              code="mail_unavailable") from exc

    def _deliver(self, message: EmailMessage) -> None:
        with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
            smtp.send_message(message)


class DevMailer:
    """Keep messages in memory instead of sending them (development, tests).

        mail = DevMailer()
        await mail.send(to="asha@example.in", subject="Hello", text="…")
        mail.to("asha@example.in")[-1].subject         # "Hello"
    """

    def __init__(self) -> None:
        self.messages: list[SentMail] = []

    async def send(self, *, to: str, subject: str, text: str, html: str | None = None) -> None:
        """Keep the message and log that it was sent (never its body or full address)."""
        self.messages.append(SentMail(to=to, subject=subject, text=text, html=html))
        log.info("mail_dev_send", to_domain=domain_of(to), subject=subject,
                 text_chars=len(text), html=html is not None)

    def to(self, address: str) -> list[SentMail]:
        """Return the messages sent to `address`, oldest first."""
        return [m for m in self.messages if m.to == address]


def mailer(settings: Settings) -> Mailer:
    """Return the SMTP mailer when ORCHID_SMTP_URL is set, else the in-memory one (never in
    prod, where mail kept in memory would be mail lost)."""
    if settings.smtp_url:
        return SmtpMailer(settings.smtp_url, settings.mail_from)
    if settings.env in ("prod", "production"):
        raise RuntimeError("ORCHID_SMTP_URL is not set; refusing to keep mail in memory in prod")
    return DevMailer()
