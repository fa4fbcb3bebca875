"""An order's money in the payments service: what to fingerprint, show, cancel or refund."""

from __future__ import annotations

import structlog

from orchid.kit.errors import Conflict
from orchid.services.orders.models import Order
from orchid.services.orders.peers import Peers
from orchid.services.orders.schemas import PaymentInfo
from orchid.services.payments.schemas import CardMethod, CodMethod, IntentRead

log = structlog.get_logger("orchid.orders")
# Intents still waiting for money: cancelling the order cancels them.
OPEN_INTENTS = frozenset({"pending", "requires_action", "cod_pending"})


def method_summary(method: CodMethod | CardMethod) -> dict[str, str]:
    """Describe a payment method for the request fingerprint, without the card number or CVV."""
    if isinstance(method, CardMethod):
        return {"type": "card", "brand": method.brand, "last4": method.last4,
                "expiry": method.expiry}
    return {"type": method.type}


def payment_info(intent: IntentRead | None) -> PaymentInfo | None:
    """Return what a customer sees of an intent."""
    if intent is None:
        return None
    return PaymentInfo(status=intent.status, provider=intent.provider,
                       next_action_url=intent.next_action_url, card_last4=intent.card_last4)


async def refund_if_paid(peers: Peers, order: Order, *, reason: str) -> IntentRead | None:
    """Refund the order's payment in full if money was collected; return the intent."""
    intent = await peers.payments.get_intent(order_number=order.number)
    if intent is None or intent.status != "succeeded":
        return intent
    try:
        return await peers.payments.refund(order_number=order.number,
                                              amount_paise=intent.amount_paise, reason=reason)
    except Conflict as exc:
        # Another process (a repeated webhook, the sweeper) refunded it a moment ago.
        log.info("order_refund_already_done", order_number=order.number, code=exc.code)
        return await peers.payments.get_intent(order_number=order.number)


async def stop_payment(peers: Peers, order: Order, *, reason: str) -> IntentRead | None:
    """Cancel a cancelled order's open intent, or refund it if it was paid."""
    intent = await peers.payments.get_intent(order_number=order.number)
    if intent is not None and intent.status in OPEN_INTENTS:
        try:
            intent = await peers.payments.cancel_intent(order_number=order.number)
        except Conflict:
            # It moved on while we looked (paid, most likely): refund below if so.
            intent = await peers.payments.get_intent(order_number=order.number)
    if intent is not None and intent.status == "succeeded":
        return await refund_if_paid(peers, order, reason=reason)
    return intent
