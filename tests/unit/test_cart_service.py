"""Cart service on the embedded app's real catalog and inventory, carts in a MemoryStore."""

from __future__ import annotations

import asyncio
from dataclasses import replace

import pytest
from fastapi import FastAPI

from orchid.kit.errors import InvalidInput, NotFound
from orchid.kit.kv import MemoryStore
from orchid.kit.money import inr as rupees
from orchid.kit.placement import Unplaced
from orchid.services.cart.rules import new_guest_id
from orchid.services.cart.schemas import MAX_LINES
from orchid.services.cart.service import CART_TTL_SECONDS, CartService
from orchid.services.cart.store import LockedCartStore
from orchid.services.catalog.schemas import PriceChange
from orchid.services.registry import Services
from tests.support.clock import FakeClock
from tests.unit.cart_factories import KAJAL, KOHL, stock_kajal
from tests.unit.catalog_factories import product_create

CUSTOMER = "c:4m2xq7kzv3p5r6t8w9y2b3c4d5"


@pytest.fixture
async def services(app: FastAPI) -> Services:
    """The app's services with one kajal in two shades, five of each in stock."""
    return await stock_kajal(app.state.services, quantity=5)


def cart_service(services: Services, ttl: float = CART_TTL_SECONDS,
                 clock: FakeClock | None = None) -> CartService:
    """A cart service on its own in-memory store, on the test's clock (a fresh one by default)."""
    clock = clock or FakeClock()
    return CartService(store=LockedCartStore(MemoryStore(clock=clock.monotonic), ttl=ttl),
                       peers=services.cart.peers, clock=clock.now)


@pytest.fixture
def cart(services: Services) -> CartService:
    """A cart service with the standard 30-day expiry."""
    return cart_service(services)


async def many_skus(services: Services, count: int, slug: str = "palette") -> list[str]:
    """Create products with `count` variants in all (at most 50 per product); return the SKUs."""
    skus: list[str] = []
    for n, start in enumerate(range(0, count, 50)):
        size = min(50, count - start)
        created = await services.catalog.create_product(data=product_create(
            f"{slug}-{n}", prices=[(10000, 12000)] * size))
        skus += [v.sku for v in created.variants]
    return skus


async def test_add_update_remove_clear(cart: CartService) -> None:
    guest = new_guest_id()
    read = await cart.add(cart_id=guest, sku=KAJAL, quantity=2)
    line = read.lines[0]
    assert (line.sku, line.product_slug, line.variant_name, line.quantity) == (
        KAJAL, "kajal", "Shade 1", 2)
    assert (line.unit_price_paise, line.unit_mrp_paise, line.line_total_paise) == (
        49900, 59900, 99800)
    assert (line.available, line.in_stock, line.purchasable) == (5, True, True)
    assert line.image == "https://cdn.orchid.test/kajal.jpg"
    await cart.add(cart_id=guest, sku=KOHL, quantity=1)
    read = await cart.set_quantity(cart_id=guest, sku=KAJAL, quantity=3)
    assert [(x.sku, x.quantity) for x in read.lines] == [(KAJAL, 3), (KOHL, 1)]
    assert (read.item_count, read.subtotal_paise, read.mrp_total_paise, read.savings_paise) == (
        4, 3 * 49900 + 29900, 3 * 59900 + 29900, 3 * 10000)
    assert read.currency == "INR" and read.notices == []
    assert [(x.sku, x.quantity) for x in await cart.get_lines(cart_id=guest)] == [
        (KAJAL, 3), (KOHL, 1)]
    read = await cart.remove(cart_id=guest, sku=KAJAL)
    assert [x.sku for x in read.lines] == [KOHL]
    assert (await cart.remove(cart_id=guest, sku=KAJAL)).item_count == 1  # already gone: fine
    assert (await cart.clear(cart_id=guest)).lines == []
    assert (await cart.get(cart_id=guest)).item_count == 0
    assert await cart.get_lines(cart_id=guest) == []


async def test_adding_again_sums_and_clamps_at_ten(cart: CartService) -> None:
    await cart.add(cart_id=CUSTOMER, sku=KAJAL, quantity=6)
    read = await cart.add(cart_id=CUSTOMER, sku=KAJAL, quantity=7)
    assert read.lines[0].quantity == 10
    assert read.notices[0] == ("You can buy at most 10 of Kajal (Shade 1); the quantity is now 10.")
    assert read.lines[0].purchasable is False and "Only 5 left of Kajal (Shade 1)." in read.notices
    for bad in (0, 11):
        with pytest.raises(InvalidInput) as refused:
            await cart.set_quantity(cart_id=CUSTOMER, sku=KAJAL, quantity=bad)
        assert refused.value.code == "invalid_quantity"
    with pytest.raises(InvalidInput):
        await cart.add(cart_id=CUSTOMER, sku=KAJAL, quantity=0)
    with pytest.raises(NotFound) as missing:
        await cart.set_quantity(cart_id=CUSTOMER, sku=KOHL, quantity=1)
    assert missing.value.code == "line_not_found"


async def test_a_cart_holds_at_most_fifty_lines(services: Services, cart: CartService) -> None:
    skus = await many_skus(services, MAX_LINES + 1)
    for sku in skus[:MAX_LINES]:
        await cart.add(cart_id=CUSTOMER, sku=sku, quantity=1)
    with pytest.raises(InvalidInput) as full:
        await cart.add(cart_id=CUSTOMER, sku=skus[-1], quantity=1)
    assert full.value.code == "cart_full"
    read = await cart.add(cart_id=CUSTOMER, sku=skus[0], quantity=1)  # an existing line may grow
    assert len(read.lines) == MAX_LINES and read.lines[0].quantity == 2


async def test_unknown_unpublished_and_malformed_are_refused(services: Services,
                                                             cart: CartService) -> None:
    with pytest.raises(NotFound) as unknown:
        await cart.add(cart_id=CUSTOMER, sku="NO-SUCH-SKU", quantity=1)
    assert unknown.value.code == "sku_not_found"
    await services.catalog.create_product(data=product_create("draft", published=False))
    with pytest.raises(InvalidInput) as draft:
        await cart.add(cart_id=CUSTOMER, sku="DRAFT-1", quantity=1)
    assert draft.value.code == "sku_unavailable"
    for bad in ("x:1", "g:short", "c:", "cart:c:abc", "g:" + "a" * 23 + "!"):
        with pytest.raises(InvalidInput) as refused:
            await cart.get(cart_id=bad)
        assert refused.value.code == "invalid_cart_id"


async def test_prices_are_read_again_and_a_change_is_told_once(services: Services,
                                                               cart: CartService) -> None:
    await cart.add(cart_id=CUSTOMER, sku=KAJAL, quantity=2)
    await services.catalog.change_price(sku=KAJAL, data=PriceChange(price_paise=44900))
    read = await cart.get(cart_id=CUSTOMER)
    assert read.lines[0].unit_price_paise == 44900 and read.subtotal_paise == 89800
    assert read.notices == ["The price of Kajal (Shade 1) changed from ₹499 to ₹449."]
    again = await cart.get(cart_id=CUSTOMER)
    assert again.notices == [] and again.subtotal_paise == 89800


async def test_unpublished_product_stays_but_is_not_purchasable(services: Services,
                                                                 cart: CartService) -> None:
    await cart.add(cart_id=CUSTOMER, sku=KAJAL, quantity=1)
    await cart.add(cart_id=CUSTOMER, sku=KOHL, quantity=1)  # same product: both go
    await services.catalog.set_published(slug="kajal", published=False)
    read = await cart.get(cart_id=CUSTOMER)
    assert [line.purchasable for line in read.lines] == [False, False]
    assert "Kajal (Shade 1) is no longer available." in read.notices
    assert (read.item_count, read.subtotal_paise, read.savings_paise) == (2, 0, 0)


async def test_stock_shows_per_line(services: Services, cart: CartService) -> None:
    await services.inventory.adjust(warehouse_code="BLR-1", sku=KOHL, on_hand=0,
                                    actor="cus_staff", note="damaged")
    await cart.add(cart_id=CUSTOMER, sku=KAJAL, quantity=3)
    read = await cart.add(cart_id=CUSTOMER, sku=KOHL, quantity=1)
    kajal, kohl = read.lines
    assert (kajal.available, kajal.in_stock, kajal.purchasable) == (5, True, True)
    assert (kohl.available, kohl.in_stock, kohl.purchasable) == (0, False, False)
    assert read.notices == ["Kajal (Shade 2) is out of stock."]
    assert read.subtotal_paise == 3 * 49900


async def test_unknown_stock_when_inventory_is_not_placed(services: Services) -> None:
    peers = replace(services.cart.peers, inventory=Unplaced("inventory"))
    elsewhere = CartService(store=LockedCartStore(MemoryStore(), ttl=CART_TTL_SECONDS),
                            peers=peers)
    read = await elsewhere.add(cart_id=CUSTOMER, sku=KAJAL, quantity=1)
    line = read.lines[0]
    assert (line.available, line.in_stock, line.purchasable) == (None, None, True)
    assert read.subtotal_paise == 49900


async def test_merge_sums_caps_and_deletes_the_guest_cart(services: Services,
                                                          cart: CartService) -> None:
    guest = new_guest_id()
    await cart.add(cart_id=guest, sku=KAJAL, quantity=4)
    await cart.add(cart_id=guest, sku=KOHL, quantity=2)
    await cart.add(cart_id=CUSTOMER, sku=KAJAL, quantity=8)
    read = await cart.merge(from_cart_id=guest, into_cart_id=CUSTOMER)
    assert [(x.sku, x.quantity) for x in read.lines] == [(KAJAL, 10), (KOHL, 2)]
    assert f"You can buy at most 10 of {KAJAL}; the quantity is now 10." in read.notices
    assert await cart.get_lines(cart_id=guest) == []
    again = await cart.merge(from_cart_id=guest, into_cart_id=CUSTOMER)  # nothing left to move
    assert [(x.sku, x.quantity) for x in again.lines] == [(KAJAL, 10), (KOHL, 2)]


async def test_merge_drops_lines_past_fifty_with_a_notice(services: Services,
                                                          cart: CartService) -> None:
    skus = await many_skus(services, MAX_LINES + 2)
    for sku in skus[:MAX_LINES - 1]:
        await cart.add(cart_id=CUSTOMER, sku=sku, quantity=1)
    guest = new_guest_id()
    for sku in (skus[0], *skus[MAX_LINES - 1:]):
        await cart.add(cart_id=guest, sku=sku, quantity=1)
    read = await cart.merge(from_cart_id=guest, into_cart_id=CUSTOMER)
    assert len(read.lines) == MAX_LINES and read.lines[0].quantity == 2
    assert any(skus[-1] in notice and skus[-2] in notice for notice in read.notices)


async def test_every_write_renews_the_expiry(services: Services) -> None:
    clock = FakeClock()
    cart = cart_service(services, ttl=40, clock=clock)
    await cart.add(cart_id=CUSTOMER, sku=KAJAL, quantity=1)
    clock.advance(25)
    await cart.add(cart_id=CUSTOMER, sku=KOHL, quantity=1)
    clock.advance(25)  # past the first write's expiry, within the second's
    assert len((await cart.get(cart_id=CUSTOMER)).lines) == 2
    clock.advance(14.5)
    assert len((await cart.get(cart_id=CUSTOMER)).lines) == 2  # a read does not renew it
    clock.advance(0.5)  # 40 s after the last write
    assert (await cart.get(cart_id=CUSTOMER)).lines == []


async def test_concurrent_adds_lose_nothing(services: Services, cart: CartService) -> None:
    skus = await many_skus(services, 20)
    await asyncio.gather(*(cart.add(cart_id=CUSTOMER, sku=sku, quantity=1) for sku in skus))
    await asyncio.gather(*(cart.add(cart_id=CUSTOMER, sku=KAJAL, quantity=1) for _ in range(7)))
    lines = {line.sku: line.quantity for line in await cart.get_lines(cart_id=CUSTOMER)}
    assert lines == {**dict.fromkeys(skus, 1), KAJAL: 7}


def test_rupees_use_indian_grouping() -> None:
    assert [rupees(p) for p in (0, 49900, 129950, 12345650, 1234567800)] == [
        "₹0", "₹499", "₹1,299.50", "₹1,23,456.50", "₹1,23,45,678"]
