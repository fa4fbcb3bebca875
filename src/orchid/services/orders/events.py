"""The orders service's events (docs/events.md): one each time an order reaches a status,
written by the transaction that moves it (repository.add_order, repository.add_event).

A card order that is paid becomes `order.paid`; a cash-on-delivery order accepted without
payment becomes `order.confirmed`. Payloads carry what the subscribers need — never the
address or anything else of the customer but their id.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from orchid.kit.outbox import MainOutbox, record
from orchid.services.orders.models import Order, OrderLine
from orchid.services.orders.states import OrderStatus

AGGREGATE = "order"
EVENT_OF_STATUS: dict[OrderStatus, str] = {
    "pending_payment": "order.placed",
    "confirmed": "order.confirmed",
    "packed": "order.packed",
    "shipped": "order.shipped",
    "delivered": "order.delivered",
    "returned": "order.returned",
    "refunded": "order.refunded",
    "cancelled": "order.cancelled",
}
PAID = "order.paid"
PAID_REASON = "paid"  # what the orders service says when a payment confirms an order


def record_status(session: AsyncSession, order: Order, *, from_status: OrderStatus | None,
                  reason: str, now: datetime, lines: list[OrderLine] | None = None) -> str:
    """Write the event of the status `order` has just reached; return its type."""
    kind = (PAID if order.status == "confirmed" and reason == PAID_REASON
            else EVENT_OF_STATUS[order.status])
    payload: dict[str, Any] = {
        "number": order.number, "customer_id": order.customer_id, "status": order.status,
        "from_status": from_status, "reason": reason, "payment_method": order.payment_method,
        "total_paise": order.total_paise, "currency": order.currency}
    if lines is not None:
        payload["lines"] = [{"sku": line.sku, "quantity": line.quantity,
                             "unit_price_paise": line.unit_price_paise} for line in lines]
    record(session, MainOutbox, kind, AGGREGATE, order.number, payload, now=now)
    return kind
