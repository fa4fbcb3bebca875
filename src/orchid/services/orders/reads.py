"""Build the read models of orders from their rows (money derived by the pure pricing code)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from orchid.services.orders import pricing, repository
from orchid.services.orders.models import Order, OrderEvent, OrderLine
from orchid.services.orders.schemas import (
    GstShare,
    OrderAddress,
    OrderEventRead,
    OrderLineRead,
    OrderRead,
    OrderSummary,
)


def priced(line: OrderLine) -> pricing.PricedLine:
    """Return a stored line as the pricing code sees it."""
    return pricing.PricedLine(
        sku=line.sku, product_slug=line.product_slug, product_name=line.product_name,
        variant_name=line.variant_name, quantity=line.quantity,
        unit_price_paise=line.unit_price_paise, unit_mrp_paise=line.unit_mrp_paise,
        gst_rate_bp=line.gst_rate_bp, gst_paise=line.gst_paise,
        line_total_paise=line.line_total_paise)


def order_read(order: Order, lines: list[OrderLine], events: list[OrderEvent]) -> OrderRead:
    """Return the full view of an order."""
    priced_lines = [priced(line) for line in lines]
    mrp_total = sum(line.line_mrp_paise for line in priced_lines)
    return OrderRead(
        number=order.number, status=order.status,
        customer_id=order.customer_id, payment_method=order.payment_method,
        currency=order.currency, subtotal_paise=order.subtotal_paise,
        mrp_total_paise=mrp_total, savings_paise=mrp_total - order.subtotal_paise,
        gst_paise=order.gst_paise,
        gst_breakdown=[GstShare(rate_bp=rate, gst_paise=paise)
                       for rate, paise in pricing.gst_breakdown(priced_lines).items()],
        shipping_paise=order.shipping_paise, total_paise=order.total_paise,
        address=OrderAddress.model_validate(order.address),
        lines=[OrderLineRead.model_validate(line) for line in lines],
        events=[OrderEventRead.model_validate(event) for event in events],
        expires_at=order.expires_at, created_at=order.created_at, updated_at=order.updated_at)


async def load(session: AsyncSession, order: Order) -> OrderRead:
    """Read an order's lines and history and return its full view."""
    return order_read(order, await repository.get_lines(session, order_id=order.id),
                      await repository.get_events(session, order_id=order.id))


def summary(order: Order, item_count: Any) -> OrderSummary:
    """Return an order as shown in a list."""
    return OrderSummary(number=order.number, status=order.status,
                        customer_id=order.customer_id, payment_method=order.payment_method,
                        total_paise=order.total_paise, currency=order.currency,
                        item_count=int(item_count or 0), created_at=order.created_at)
