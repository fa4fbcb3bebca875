"""Payments domain errors, each with a stable code.

    InvalidInput   ├── CodLimitExceeded         422 cod_limit_exceeded     (data: limit_paise)
                   ├── MethodNotSupported       422 method_not_supported
                   └── WebhookMalformed         422 webhook_malformed | webhook_mismatch
    Unauthorized   ├── WebhookSignatureInvalid  401 webhook_signature_invalid
                   └── WebhookStale             401 webhook_timestamp_stale
    NotFound       └── IntentNotFound           404 intent_not_found
    Conflict       ├── IllegalTransition        409 illegal_transition     (data: current, target)
                   ├── IntentMismatch           409 intent_mismatch
                   ├── RefundTooLarge           409 refund_exceeds_amount  (data: refundable_paise)
                   └── WebhookReplayed          409 webhook_replayed       (data: event_id)

The service also raises plain InvalidInput with codes invalid_amount, invalid_order,
invalid_customer and invalid_reason for arguments no caller should send.
"""

from __future__ import annotations

from orchid.kit.errors import Conflict, InvalidInput, NotFound, Unauthorized


class CodLimitExceeded(InvalidInput):
    """The order is above the cash-on-delivery cap."""

    code, title = "cod_limit_exceeded", "Cash on delivery not available"


class MethodNotSupported(InvalidInput):
    """The provider does not take this kind of payment method."""

    code, title = "method_not_supported", "Payment method not supported"


class RefundTooLarge(Conflict):
    """The refund, with those already made, would return more than was paid."""

    code, title = "refund_exceeds_amount", "Refund exceeds the amount paid"


class WebhookMalformed(InvalidInput):
    """A correctly signed event whose body is not an event we understand."""

    code, title = "webhook_malformed", "Malformed webhook"


class WebhookSignatureInvalid(Unauthorized):
    """The signature header is missing, malformed or does not match the body."""

    code, title = "webhook_signature_invalid", "Invalid webhook signature"


class WebhookStale(Unauthorized):
    """The signed timestamp is outside the tolerance: an old event replayed, or a bad clock."""

    code, title = "webhook_timestamp_stale", "Stale webhook"


class IntentNotFound(NotFound):
    """No payment intent for this order or id."""

    code, title = "intent_not_found", "Payment intent not found"


class IllegalTransition(Conflict):
    """The intent's state does not allow this change."""

    code, title = "illegal_transition", "Illegal transition"


class IntentMismatch(Conflict):
    """An intent exists for this order with another amount, customer or provider."""

    code, title = "intent_mismatch", "Intent mismatch"


class WebhookReplayed(Conflict):
    """This event id was accepted before."""

    code, title = "webhook_replayed", "Webhook already received"
