"""What the service needs from a payment provider, and cash on delivery, the simplest one.

    provider: PaymentProvider = CodProvider(limit_paise=500_000)
    result = await provider.create_intent(reference=Reference("pi_…", "OR-…"), currency="INR",
                                          amount_paise=49_900, method=CodMethod(type="cod"))
    result.status                                          # "cod_pending"

A provider raises a domain error only for a request it refuses outright, before anything
happened on its side; everything else is a `ProviderResult`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Protocol

from orchid.services.payments.errors import (
    CodLimitExceeded,
    MethodNotSupported,
    WebhookSignatureInvalid,
)
from orchid.services.payments.schemas import CardMethod, CodMethod, WebhookEvent

ProviderStatus = Literal["pending", "requires_action", "cod_pending", "succeeded", "failed"]
COD_LIMIT_PAISE = 500_000  # ₹5,000: couriers cap the cash they carry per parcel


@dataclass(frozen=True)
class Reference:
    """Our ids for a payment; the provider echoes them in its events."""

    intent_id: str
    order_number: str


@dataclass(frozen=True)
class ProviderResult:
    """A provider's synchronous answer."""

    status: ProviderStatus
    provider_ref: str | None = None
    next_action_url: str | None = None
    decline_code: str | None = None


class PaymentProvider(Protocol):
    """A payment service provider as the payments service uses it."""

    name: str

    async def create_intent(self, *, reference: Reference, amount_paise: int, currency: str,
                            method: CodMethod | CardMethod) -> ProviderResult:
        """Start collecting `amount_paise` for `reference`."""
        ...

    async def capture(self, *, provider_ref: str, amount_paise: int) -> ProviderResult:
        """Collect money that was authorised (or, for COD, handed to the courier)."""
        ...

    async def refund(self, *, reference: Reference, provider_ref: str | None, refund_id: str,
                     amount_paise: int) -> ProviderResult:
        """Return `amount_paise` of a collected payment; `refund_id` is our idempotency key."""
        ...

    def verify_webhook(self, *, raw_body: bytes, signature_header: str,
                       now: datetime) -> WebhookEvent:
        """Check an event's signature and age, and parse it."""
        ...

    async def close(self) -> None:
        """Finish what the provider still does in the background (the process is stopping)."""
        ...


class CodProvider:
    """Cash on delivery: nothing to authorise, only a cap on the order's value."""

    name = "cod"

    def __init__(self, *, limit_paise: int = COD_LIMIT_PAISE) -> None:
        self.limit_paise = limit_paise

    async def create_intent(self, *, reference: Reference, amount_paise: int, currency: str,
                            method: CodMethod | CardMethod) -> ProviderResult:
        """Accept a COD order up to the cap; it is paid when the courier collects."""
        if not isinstance(method, CodMethod):
            raise MethodNotSupported("Cash on delivery takes no card.")
        if amount_paise > self.limit_paise:
            rupees = self.limit_paise // 100
            raise CodLimitExceeded(f"Cash on delivery is available up to ₹{rupees:,}.",
                                   limit_paise=self.limit_paise)
        return ProviderResult(status="cod_pending", provider_ref=f"cod_{reference.intent_id}")

    async def capture(self, *, provider_ref: str, amount_paise: int) -> ProviderResult:
        """Record the courier's collection."""
        return ProviderResult(status="succeeded", provider_ref=provider_ref)

    async def refund(self, *, reference: Reference, provider_ref: str | None, refund_id: str,
                     amount_paise: int) -> ProviderResult:
        """Cash is returned by bank transfer outside the system; record it as done."""
        return ProviderResult(status="succeeded", provider_ref=refund_id)

    def verify_webhook(self, *, raw_body: bytes, signature_header: str,
                       now: datetime) -> WebhookEvent:
        """Refuse: nobody sends COD events."""
        raise WebhookSignatureInvalid("Cash on delivery sends no webhooks.")

    async def close(self) -> None:
        """Nothing runs in the background."""
