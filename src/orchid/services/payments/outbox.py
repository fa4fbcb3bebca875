"""The payments service's events (docs/events.md): `payment.captured`, `payment.failed` and
`payment.refunded`, written in the flush that changes an intent's or a refund's status.

A session listener rather than a call at each change: an intent's status changes in several
places (the provider's synchronous answer, its webhook, a cancellation, the last refund), and
an event must follow every one of them, in the same transaction.
"""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import event, inspect
from sqlalchemy.orm import InstanceState, Session

from orchid.kit.outbox import MainOutbox, record
from orchid.services.payments.models import PaymentIntent, Refund

AGGREGATE = "payment"
INTENT_EVENTS = {"succeeded": "payment.captured", "failed": "payment.failed"}
REFUNDED = "payment.refunded"  # each refund the provider confirms, part or whole


def _status_changed(session: Session, row: PaymentIntent | Refund) -> bool:
    history = cast(InstanceState[Any], inspect(row)).attrs.status.history
    return bool(history.added) and (row in session.new or bool(history.deleted))


def _payload(intent: PaymentIntent) -> dict[str, Any]:
    return {"order_number": intent.order_number, "customer_id": intent.customer_id,
            "intent_id": intent.public_id, "status": intent.status, "provider": intent.provider,
            "amount_paise": intent.amount_paise, "currency": intent.currency,
            "failure_code": intent.failure_code}


@event.listens_for(Session, "before_flush")
def _record_status_changes(session: Session, flush_context: Any, instances: Any) -> None:
    for row in [*session.new, *session.dirty]:
        if isinstance(row, PaymentIntent) and row.status in INTENT_EVENTS \
                and _status_changed(session, row):
            record(session, MainOutbox, INTENT_EVENTS[row.status], AGGREGATE,
                   row.order_number, _payload(row))
        elif isinstance(row, Refund) and row.status == "succeeded" \
                and _status_changed(session, row):
            intent = session.get(PaymentIntent, row.intent_id)
            if intent is not None:
                # The intent's own status is not the news here: several refunds may add up.
                payload = {key: value for key, value in _payload(intent).items()
                           if key not in ("status", "failure_code")}
                record(session, MainOutbox, REFUNDED, AGGREGATE, intent.order_number,
                       {**payload, "refund_id": row.public_id, "refund_paise": row.amount_paise})
