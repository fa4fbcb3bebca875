"""Payments shapes: the payment method a checkout sends, the intent others read, webhook events."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from orchid.kit.numbers import JsonInt
from orchid.kit.orm import utcnow
from orchid.services.payments import cards

IntentStatus = Literal["pending", "requires_action", "cod_pending", "succeeded", "failed",
                       "cancelled", "refunded"]
Outcome = Literal["succeeded", "failed"]
EventType = Literal["payment.succeeded", "payment.failed", "refund.succeeded"]


def _not_expired(value: str) -> str:
    return cards.check_expiry(value, now=utcnow())


class _Strict(BaseModel):
    # Unknown fields are refused, and card input never appears in validation errors.
    model_config = ConfigDict(extra="forbid", strict=True, hide_input_in_errors=True)


class CodMethod(_Strict):
    """Cash on delivery."""

    type: Literal["cod"]


class CardMethod(_Strict):
    """A card as typed at checkout; used once for the provider call, never stored."""

    type: Literal["card"]
    card_number: Annotated[str, StringConstraints(max_length=32),
                           AfterValidator(cards.normalise_number), Field(repr=False)]
    expiry: Annotated[str, StringConstraints(max_length=8), AfterValidator(_not_expired)]
    cvv: Annotated[str, AfterValidator(cards.check_cvv), Field(repr=False)]

    @property
    def brand(self) -> str:
        """The card network, e.g. "visa"."""
        return cards.brand(self.card_number)

    @property
    def last4(self) -> str:
        """The last four digits, the only part of the number we keep."""
        return self.card_number[-4:]


PaymentMethod = Annotated[CodMethod | CardMethod, Field(discriminator="type")]


class IntentRead(BaseModel):
    """A payment intent as other services and staff see it."""

    model_config = ConfigDict(from_attributes=True)

    public_id: str
    order_number: str
    provider: Literal["cod", "sandbox"]
    status: IntentStatus
    amount_paise: int
    currency: str
    next_action_url: str | None
    card_brand: str | None
    card_last4: str | None
    failure_code: str | None


class EventData(BaseModel):
    """What an event is about; `refund_id` only on refund events."""

    intent_id: str = Field(max_length=64)
    order_number: str = Field(max_length=64)
    amount_paise: Annotated[int, JsonInt]
    failure_code: str | None = Field(default=None, max_length=64)
    refund_id: str | None = Field(default=None, max_length=64)


class WebhookEvent(BaseModel):
    """A provider event, parsed after its signature was checked."""

    id: str = Field(min_length=1, max_length=64)
    type: EventType
    created: Annotated[int, JsonInt]
    data: EventData


class WebhookOutcome(BaseModel):
    """What handling one webhook did."""

    event_id: str
    type: EventType
    applied: bool  # False when the intent was already in (or past) the event's state
    intent: IntentRead


class WebhookAck(BaseModel):
    """The answer a provider expects for an accepted event."""

    received: bool = True

