"""The intent state machine: which status may follow which.

    pending ─┬─▶ requires_action ─┬─▶ succeeded ──▶ refunded
             │                    └─▶ failed | cancelled
             ├─▶ cod_pending ──▶ succeeded (cash collected) | cancelled
             └─▶ succeeded | failed | cancelled

`pending` is the claim written before the provider is asked; its answer moves it on.
"""

from __future__ import annotations

from orchid.services.payments.errors import IllegalTransition
from orchid.services.payments.models import PaymentIntent
from orchid.services.payments.schemas import IntentStatus

TRANSITIONS: dict[str, frozenset[str]] = {
    "pending": frozenset({"requires_action", "cod_pending", "succeeded", "failed", "cancelled"}),
    "requires_action": frozenset({"succeeded", "failed", "cancelled"}),
    "cod_pending": frozenset({"succeeded", "cancelled"}),
    "succeeded": frozenset({"refunded"}),
}
OPEN = frozenset({"pending", "requires_action"})  # waiting for the provider or the customer


def can_move(current: str, target: str) -> bool:
    """True when `target` may follow `current`."""
    return target in TRANSITIONS.get(current, frozenset())


def move(intent: PaymentIntent, target: IntentStatus) -> None:
    """Set the intent's status, or raise IllegalTransition (409)."""
    if not can_move(intent.status, target):
        raise IllegalTransition(f"A {intent.status} payment cannot become {target}.",
                                current=intent.status, target=target)
    intent.status = target
    if target != "requires_action":
        intent.next_action_url = None
