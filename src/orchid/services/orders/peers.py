"""The peer methods orders calls: checkout reads the address, cart and prices, holds stock
and takes payment; the sweeper lets lapsed holds go and re-sends settlements."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from orchid.services.accounts.deps import Authenticator
from orchid.services.accounts.schemas import AddressRead
from orchid.services.cart.schemas import CartLine, CartRead
from orchid.services.catalog.schemas import VariantRead
from orchid.services.inventory.schemas import ReservationRead, ReserveLine, StockRead
from orchid.services.payments.schemas import IntentRead, PaymentMethod


class Accounts(Authenticator, Protocol):
    async def get_address(self, *, customer_id: str, address_id: str) -> AddressRead: ...


class Cart(Protocol):
    async def get_lines(self, *, cart_id: str) -> list[CartLine]: ...
    async def clear(self, *, cart_id: str) -> CartRead: ...


class Catalog(Protocol):
    async def get_variants(self, *, skus: list[str], fresh: bool = False) -> list[VariantRead]: ...


class Inventory(Protocol):
    async def reserve(self, *, key: str, lines: list[ReserveLine],
                      ttl_seconds: int = 900) -> ReservationRead: ...
    async def allocate(self, *, key: str) -> ReservationRead: ...
    async def release(self, *, key: str, reason: str) -> ReservationRead | None: ...
    async def restock(self, *, warehouse_code: str, sku: str, quantity: int, actor: str,
                      note: str) -> StockRead: ...
    async def expire_reservations(self, *, now: datetime | None = None,
                                  limit: int = 500) -> list[str]: ...


class Payments(Protocol):
    async def create_intent(self, *, order_number: str, customer_id: str, amount_paise: int,
                            method: PaymentMethod) -> IntentRead: ...
    async def get_intent(self, *, order_number: str) -> IntentRead | None: ...
    async def cancel_intent(self, *, order_number: str) -> IntentRead | None: ...
    async def refund(self, *, order_number: str, amount_paise: int,
                     reason: str) -> IntentRead: ...
    async def retry_settlements(self, *, limit: int = 100) -> int: ...


@dataclass(frozen=True)
class Peers:
    """The services orders calls, each typed by the methods it uses."""

    accounts: Accounts
    cart: Cart
    catalog: Catalog
    inventory: Inventory
    payments: Payments
