"""Orders domain errors, each with a stable code.

    InvalidInput   ├── CartEmpty              422 cart_empty
                   └── UnknownSkus            422 unknown_skus          data: skus
    NotFound       └── OrderNotFound          404 order_not_found
    Conflict       ├── IllegalTransition      409 illegal_transition    data: current, target
                   ├── IdempotencyKeyReused   409 idempotency_key_reused
                   ├── ItemsUnavailable       409 items_unavailable     data: skus
                   ├── ReservationLapsed      409 reservation_lapsed    (held stock lapsed 9 times)
                   └── OrderCancelled         409 order_cancelled       data: order_number, reason
    OrchidError    └── PaymentDeclined        402 payment_declined      data: order_number

Out-of-stock comes from inventory as 409 `out_of_stock` (data: skus) and is passed through.
"""

from __future__ import annotations

from orchid.kit.errors import Conflict, InvalidInput, NotFound, OrchidError


class CartEmpty(InvalidInput):
    """There is nothing in the cart to check out."""

    code, title = "cart_empty", "Cart is empty"


class UnknownSkus(InvalidInput):
    """The cart holds SKUs the catalog does not know."""

    code, title = "unknown_skus", "Unknown items in cart"


class OrderNotFound(NotFound):
    """No order of yours has this number."""

    code, title = "order_not_found", "Order not found"


class IllegalTransition(Conflict):
    """The state machine does not allow this move from the order's current status."""

    code, title = "illegal_transition", "Illegal status change"


class IdempotencyKeyReused(Conflict):
    """The Idempotency-Key was used before for a different request."""

    code, title = "idempotency_key_reused", "Idempotency key reused"


class ItemsUnavailable(Conflict):
    """Some cart items are no longer sold (unpublished)."""

    code, title = "items_unavailable", "Items no longer available"


class ReservationLapsed(Conflict):
    """An order's stock hold lapsed again and again; a fresh checkout is needed."""

    code, title = "reservation_lapsed", "Reservation lapsed"


class OrderCancelled(Conflict):
    """The checkout under this key ended in a cancelled order."""

    code, title = "order_cancelled", "Order cancelled"


class PaymentDeclined(OrchidError):
    """The card was declined; the order was cancelled and its stock released."""

    status, code, title = 402, "payment_declined", "Payment declined"
