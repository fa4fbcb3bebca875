"""The peer methods payments calls: orders takes each settled payment."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from orchid.services.accounts.deps import Authenticator
from orchid.services.orders.schemas import OrderRead
from orchid.services.payments.schemas import Outcome


class Orders(Protocol):
    async def settle_payment(self, *, order_number: str, outcome: Outcome) -> OrderRead: ...


@dataclass(frozen=True)
class Peers:
    """The services payments calls, each typed by the methods it uses."""

    accounts: Authenticator
    orders: Orders
