"""Sending SMS: the protocol, a development sender that logs, and a generic HTTP gateway.

    sms = DevSmsSender()
    await sms.send(phone="+919812345678", text="Your code is 123456")
    sms.last_message("+919812345678")           # "Your code is 123456"
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

import httpx
import structlog

from orchid.services.accounts.errors import SmsUnavailable

if TYPE_CHECKING:
    from orchid.config import Settings

log = structlog.get_logger("orchid.accounts.sms")


class SmsSender(Protocol):
    """Deliver one text message to an E.164 phone number."""

    async def send(self, *, phone: str, text: str) -> None: ...


class DevSmsSender:
    """Log messages instead of sending them, and remember the last one per phone (dev, tests)."""

    def __init__(self) -> None:
        self.messages: dict[str, str] = {}

    async def send(self, *, phone: str, text: str) -> None:
        """Log the message and keep it as this phone's last one."""
        self.messages[phone] = text
        log.info("sms_dev_send", phone=phone, text=text)

    def last_message(self, phone: str) -> str | None:
        """Return the last message sent to `phone`, if any."""
        return self.messages.get(phone)


class HttpSmsGateway:
    """Send through a provider that takes a JSON POST: {"to", "text", "sender"} + a bearer key.

    Most Indian SMS providers (and an in-house relay) accept this shape or sit behind an adapter
    that does. Any non-2xx answer or transport failure becomes `SmsUnavailable` (503). Sends are
    not retried: a request that timed out may still have been delivered, and a duplicate code
    costs money and confuses the customer.
    """

    def __init__(self, *, client: httpx.AsyncClient, url: str, api_key: str,
                 sender_id: str = "ORCHID", timeout: float = 5.0) -> None:
        self.client, self.url, self.sender_id = client, url, sender_id
        self.timeout = timeout
        self._headers = {"Authorization": f"Bearer {api_key}"}

    async def send(self, *, phone: str, text: str) -> None:
        """POST the message to the gateway."""
        payload = {"to": phone, "text": text, "sender": self.sender_id}
        try:
            response = await self.client.post(self.url, json=payload, headers=self._headers,
                                              timeout=self.timeout)
        except httpx.HTTPError as exc:
            log.warning("sms_gateway_unreachable", error=repr(exc))
            raise SmsUnavailable("The SMS gateway could not be reached.") from exc
        if not response.is_success:
            # The body may echo the message (and its code), so only the status is logged.
            log.warning("sms_gateway_refused", status=response.status_code)
            raise SmsUnavailable("The SMS gateway refused the message.")


def sms_sender(settings: Settings, *, http: httpx.AsyncClient) -> SmsSender:
    """Return the gateway when one is configured, else the logging dev sender (never in prod)."""
    url = settings.sms_gateway_url
    if url:
        key = settings.sms_api_key
        api_key = key.get_secret_value() if key is not None else ""
        if not api_key:
            raise RuntimeError("ORCHID_SMS_API_KEY is not set but ORCHID_SMS_GATEWAY_URL is")
        return HttpSmsGateway(client=http, url=url, api_key=api_key)
    if settings.env in ("prod", "production"):
        # The dev sender writes codes to the log: never acceptable with real customers.
        raise RuntimeError("ORCHID_SMS_GATEWAY_URL is not set; refusing to log codes in prod")
    return DevSmsSender()
