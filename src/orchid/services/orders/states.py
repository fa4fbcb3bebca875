"""The order state machine (docs/checkout.md), in one table.

    pending_payment ─paid─▶ confirmed ─▶ packed ─▶ shipped ─▶ delivered ─▶ returned ─▶ refunded
          │                    │
          └─failed/expired/────┴─customer cancel (before packing)─▶ cancelled
"""

from __future__ import annotations

from typing import Literal

from orchid.services.orders.errors import IllegalTransition

OrderStatus = Literal["pending_payment", "confirmed", "packed", "shipped", "delivered",
                      "returned", "refunded", "cancelled"]
STATUSES: tuple[OrderStatus, ...] = ("pending_payment", "confirmed", "packed", "shipped",
                                     "delivered", "returned", "refunded", "cancelled")

TRANSITIONS: dict[OrderStatus, frozenset[OrderStatus]] = {
    "pending_payment": frozenset({"confirmed", "cancelled"}),
    "confirmed": frozenset({"packed", "cancelled"}),
    "packed": frozenset({"shipped"}),
    "shipped": frozenset({"delivered"}),
    "delivered": frozenset({"returned"}),
    "returned": frozenset({"refunded"}),
    "refunded": frozenset(),
    "cancelled": frozenset(),
}
# Customers may only cancel, and only before packing.
CUSTOMER_CANCELLABLE: frozenset[OrderStatus] = frozenset({"pending_payment", "confirmed"})
# Staff drive fulfilment; payment outcomes and expiry are the system's.
STAFF_TARGETS: frozenset[OrderStatus] = frozenset(
    {"packed", "shipped", "delivered", "returned", "refunded", "cancelled"})


def can_move(current: OrderStatus, target: OrderStatus) -> bool:
    """True when the machine allows `current → target`."""
    return target in TRANSITIONS[current]


def check_move(current: OrderStatus, target: OrderStatus) -> None:
    """Refuse an illegal move with 409 `illegal_transition`."""
    if not can_move(current, target):
        raise IllegalTransition(f"an order cannot go from {current} to {target}",
                                current=current, target=target)
