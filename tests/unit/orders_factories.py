"""Checkout test data on a running app: products, stock, shoppers with carts, crashes."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from orchid.kit.db import Database
from orchid.kit.errors import Conflict
from orchid.services.catalog.schemas import BrandCreate, CategoryCreate
from orchid.services.inventory.models import Stock
from orchid.services.inventory.schemas import WarehouseCreate
from orchid.services.orders.models import Order
from orchid.services.orders.schemas import CheckoutResult
from orchid.services.orders.service import OrdersService
from orchid.services.payments.delivery import BackgroundDelivery
from orchid.services.payments.sandbox import SandboxProvider
from orchid.services.payments.schemas import CardMethod, CodMethod
from orchid.services.registry import Services
from tests.unit.catalog_factories import product_create

WAREHOUSE = "BLR-1"
PASSWORD = "kajal-and-kohl"
HOME: dict[str, Any] = {"name": "Asha Rao", "phone": "98123 45678", "line1": "12 MG Road",
                        "city": "Bengaluru", "state": "Karnataka", "pincode": "560001"}
SUCCESS_CARD = {"type": "card", "card_number": "4111 1111 1111 1111", "expiry": "12/39",
                "cvv": "123"}
DECLINE_CARD = SUCCESS_CARD | {"card_number": "4000000000000002"}
CHALLENGE_CARD = SUCCESS_CARD | {"card_number": "4000000000003220"}
COD = {"type": "cod"}
TAXONOMY = [("makeup", None), ("eyes", "makeup"), ("kajal", "eyes"), ("wellness", None),
            ("herbal-teas", "wellness")]


def services_of(app: FastAPI) -> Services:
    """Return the app's service directory."""
    services: Services = app.state.services
    return services


async def setup_shop(services: Services) -> None:
    """Create a brand, a small category tree and a warehouse (if a shared server lacks them)."""
    catalog, inventory = services.catalog, services.inventory
    steps: list[Callable[[], Awaitable[object]]] = [
        lambda: catalog.create_brand(data=BrandCreate(slug="lakme", name="Lakmé"))]
    steps += [partial(catalog.create_category, data=CategoryCreate(
        slug=slug, name=slug.replace("-", " ").title(), parent=parent))
        for slug, parent in TAXONOMY]
    steps.append(lambda: inventory.create_warehouse(data=WarehouseCreate(
        code=WAREHOUSE, name="Bengaluru FC", city="Bengaluru", pincode="560100")))
    for step in steps:
        try:
            await step()
        except Conflict:
            pass  # made by an earlier test on the same servers


async def add_product(services: Services, *, price: int = 29_900, mrp: int = 39_900,
                      on_hand: int = 10, category: str = "kajal",
                      published: bool = True) -> str:
    """Create a product with one variant and `on_hand` units in stock; return its SKU."""
    slug = f"kajal-{uuid.uuid4().hex[:8]}"
    await services.catalog.create_product(data=product_create(
        slug, category=category, prices=[(price, mrp)], published=published))
    sku = f"{slug.upper()}-1"
    if on_hand:
        await services.inventory.restock(warehouse_code=WAREHOUSE, sku=sku, quantity=on_hand,
                                         actor="test", note="opening stock")
    return sku


@dataclass
class Shopper:
    """A signed-in customer with an address."""

    customer_id: str
    token: str
    address_id: str

    @property
    def auth(self) -> dict[str, str]:
        """The bearer header."""
        return {"Authorization": f"Bearer {self.token}"}

    def checkout_headers(self, key: str) -> dict[str, str]:
        """Headers of a checkout under Idempotency-Key `key`."""
        return self.auth | {"Idempotency-Key": key}

    @property
    def cart_id(self) -> str:
        """The customer's cart id."""
        return f"c:{self.customer_id}"


async def sign_up(api: httpx.AsyncClient, email: str | None = None) -> Shopper:
    """Register a customer and give them a delivery address."""
    email = email or f"asha-{uuid.uuid4().hex[:8]}@example.in"
    response = await api.post("/api/v1/accounts/register",
                              json={"email": email, "password": PASSWORD, "name": "Asha"})
    assert response.status_code == 201, response.text
    api.cookies.clear()
    body = response.json()
    headers = {"Authorization": f"Bearer {body['token']}"}
    address = await api.post("/api/v1/accounts/me/addresses", json=HOME, headers=headers)
    assert address.status_code == 201, address.text
    return Shopper(customer_id=body["customer"]["public_id"], token=body["token"],
                   address_id=address.json()["public_id"])


async def fill_cart(services: Services, shopper: Shopper, *lines: tuple[str, int]) -> None:
    """Put (sku, quantity) lines into the shopper's cart."""
    for sku, quantity in lines:
        await services.cart.add(cart_id=shopper.cart_id, sku=sku, quantity=quantity)


async def stock_of(warehouse_db: Database, sku: str) -> tuple[int, int]:
    """Return (on_hand, reserved) of a SKU over every warehouse."""

    async def query(session: AsyncSession) -> tuple[int, int]:
        row = (await session.execute(
            select(func.coalesce(func.sum(Stock.on_hand), 0),
                   func.coalesce(func.sum(Stock.reserved), 0)).where(Stock.sku == sku))).one()
        return int(row[0]), int(row[1])

    return await warehouse_db.read(query)


async def orders_of(main_db: Database, customer_id: str) -> list[Order]:
    """Return every order row of a customer, oldest first."""

    async def query(session: AsyncSession) -> list[Order]:
        return list(await session.scalars(
            select(Order).where(Order.customer_id == customer_id).order_by(Order.id)))

    return await main_db.read(query)


async def drain_webhooks(services: Services) -> None:
    """Wait until the sandbox's webhook events (and the settlements they cause) are handled."""
    card = services.payments.card
    assert isinstance(card, SandboxProvider) and isinstance(card.delivery, BackgroundDelivery)
    await card.delivery.drain()


def payment_method(payment: dict[str, Any] | None) -> CodMethod | CardMethod:
    """Return the payment method a checkout body describes (COD when None)."""
    if payment is not None and payment["type"] == "card":
        return CardMethod(**payment)
    return CodMethod(type="cod")


@dataclass
class Shop:
    """The app's services and databases, with a taxonomy and a warehouse."""

    services: Services
    main_db: Database
    warehouse_db: Database
    api: httpx.AsyncClient

    @classmethod
    async def open(cls, app: FastAPI, api: httpx.AsyncClient) -> Shop:
        """Set a shop up on a started app."""
        services = services_of(app)
        await setup_shop(services)
        resources = app.state.resources
        return cls(services, resources.main_db, resources.warehouse_db, api)

    async def shopper_with(self, *lines: tuple[str, int]) -> Shopper:
        """Sign a shopper up and fill their cart."""
        shopper = await sign_up(self.api)
        await fill_cart(self.services, shopper, *lines)
        return shopper

    async def checkout(self, shopper: Shopper, key: str = "key-0001", *,
                       payment: dict[str, Any] | None = None,
                       orders: OrdersService | None = None) -> CheckoutResult:
        """Check the shopper's cart out through the service."""
        return await (orders or self.services.orders).checkout(
            customer_id=shopper.customer_id, idempotency_key=key,
            address_id=shopper.address_id, payment=payment_method(payment))

    async def stock(self, sku: str) -> tuple[int, int]:
        """Return (on_hand, reserved)."""
        return await stock_of(self.warehouse_db, sku)

    async def pending_3ds(self, sku: str) -> str:
        """Place a one-unit order paid by a 3-D Secure card; return its number."""
        shopper = await self.shopper_with((sku, 1))
        return (await self.checkout(shopper, payment=CHALLENGE_CARD)).order.number


class Crash(Exception):
    """A simulated process death after a step."""


def crashing(shop: Shop, step: str) -> OrdersService:
    """An orders service (on the shop's database and peers) that dies right after `step`."""

    async def fault(name: str) -> None:
        if name == step:
            raise Crash(name)

    return OrdersService(db=shop.main_db, peers=shop.services.orders.peers, faults=fault)


async def crash_at(shop: Shop, step: str,
                   payment: dict[str, Any] | None = None) -> tuple[str, Shopper]:
    """Run a two-unit checkout (key "crash-key-1") that dies after `step`; return SKU, shopper."""
    sku = await add_product(shop.services)
    shopper = await shop.shopper_with((sku, 2))
    with pytest.raises(Crash):
        await shop.checkout(shopper, "crash-key-1", payment=payment,
                            orders=crashing(shop, step))
    return sku, shopper
