"""The sandbox: a fake card provider that answers by test number and signs its webhooks.

    sandbox = SandboxProvider(secret=sandbox_webhook_secret(key), delivery=BackgroundDelivery())

| card number         | outcome                                                          |
|---------------------|------------------------------------------------------------------|
| 4111 1111 1111 1111 | succeeded                                                        |
| 4000 0000 0000 0002 | failed, decline code `card_declined`                             |
| 4000 0000 0000 3220 | requires_action: the customer approves or denies on a 3DS page   |
| any other valid one | failed, decline code `card_not_supported`                        |

Each outcome is also sent as a signed event through the `WebhookDelivery`, as a real provider
would call our webhook URL.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from datetime import datetime
from typing import Any

from pydantic import ValidationError

from orchid.kit.orm import utcnow
from orchid.services.payments import signing
from orchid.services.payments.delivery import WebhookDelivery
from orchid.services.payments.errors import MethodNotSupported, WebhookMalformed
from orchid.services.payments.providers import ProviderResult, Reference
from orchid.services.payments.schemas import CardMethod, CodMethod, EventType, WebhookEvent

SUCCESS_CARD = "4111111111111111"
DECLINE_CARD = "4000000000000002"
CHALLENGE_CARD = "4000000000003220"  # asks for 3-D Secure
CHALLENGE_PATH = "/api/v1/payments/sandbox/3ds/{intent_id}"


def sandbox_webhook_secret(secret_key: str) -> str:
    """Derive the sandbox's webhook signing secret from the process's secret key."""
    return signing.derive_secret(secret_key, "sandbox-webhook")


class SandboxProvider:
    """A card provider for development and tests; the card number decides the outcome."""

    name = "sandbox"

    def __init__(self, *, secret: str, delivery: WebhookDelivery,
                 clock: Callable[[], datetime] = utcnow,
                 tolerance: float = signing.TOLERANCE_SECONDS) -> None:
        self._secret, self.delivery = secret, delivery
        self.clock, self.tolerance = clock, tolerance

    async def create_intent(self, *, reference: Reference, amount_paise: int, currency: str,
                            method: CodMethod | CardMethod) -> ProviderResult:
        """Authorise and capture a test card at once, or ask for 3-D Secure."""
        if not isinstance(method, CardMethod):
            raise MethodNotSupported("The sandbox takes cards only.")
        provider_ref = f"sb_pay_{secrets.token_hex(8)}"
        if method.card_number == CHALLENGE_CARD:
            url = CHALLENGE_PATH.format(intent_id=reference.intent_id)
            return ProviderResult(status="requires_action", provider_ref=provider_ref,
                                  next_action_url=url)
        if method.card_number == SUCCESS_CARD:
            await self._emit("payment.succeeded", reference, amount_paise)
            return ProviderResult(status="succeeded", provider_ref=provider_ref)
        code = "card_declined" if method.card_number == DECLINE_CARD else "card_not_supported"
        await self._emit("payment.failed", reference, amount_paise, failure_code=code)
        return ProviderResult(status="failed", provider_ref=provider_ref, decline_code=code)

    async def complete_challenge(self, *, reference: Reference, amount_paise: int,
                                 approve: bool) -> None:
        """Finish 3-D Secure as the customer chose; the outcome arrives as a webhook."""
        if approve:
            await self._emit("payment.succeeded", reference, amount_paise)
        else:
            await self._emit("payment.failed", reference, amount_paise,
                             failure_code="authentication_failed")

    async def capture(self, *, provider_ref: str, amount_paise: int) -> ProviderResult:
        """Nothing to do: the sandbox captures when it authorises."""
        return ProviderResult(status="succeeded", provider_ref=provider_ref)

    async def refund(self, *, reference: Reference, provider_ref: str | None, refund_id: str,
                     amount_paise: int) -> ProviderResult:
        """Refund at once and confirm with a `refund.succeeded` event."""
        await self._emit("refund.succeeded", reference, amount_paise, refund_id=refund_id)
        return ProviderResult(status="succeeded", provider_ref=f"sb_re_{secrets.token_hex(8)}")

    def verify_webhook(self, *, raw_body: bytes, signature_header: str,
                       now: datetime) -> WebhookEvent:
        """Check the signature (constant time) and age of an event, then parse it."""
        signing.verify(secret=self._secret, raw_body=raw_body,
                       signature_header=signature_header, now=now, tolerance=self.tolerance)
        try:
            return WebhookEvent.model_validate_json(raw_body)
        except ValidationError as exc:
            raise WebhookMalformed("The webhook body is not a known event.") from exc

    async def close(self) -> None:
        """Deliver the events still on their way."""
        await self.delivery.close()

    def signed_event(self, event_type: EventType, data: dict[str, Any]) -> tuple[bytes, str]:
        """Build and sign an event body as the sandbox sends it; return (body, header)."""
        timestamp = int(self.clock().timestamp())
        body = json.dumps({"id": f"evt_{secrets.token_hex(12)}", "type": event_type,
                           "created": timestamp, "data": data},
                          separators=(",", ":")).encode()
        return body, signing.sign(secret=self._secret, raw_body=body, timestamp=timestamp)

    async def _emit(self, event_type: EventType, reference: Reference, amount_paise: int,
                    **extra: str) -> None:
        body, header = self.signed_event(event_type, {"intent_id": reference.intent_id,
                                                "order_number": reference.order_number,
                                                "amount_paise": amount_paise, **extra})
        await self.delivery.deliver(raw_body=body, signature_header=header)
