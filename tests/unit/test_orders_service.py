"""The orders service in the embedded app: the checkout saga, settlement, status changes."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI

from orchid.kit.errors import Conflict, InvalidInput, NotFound, OrchidError
from orchid.kit.orm import utcnow
from orchid.services.orders.errors import (
    CartEmpty,
    IdempotencyKeyReused,
    IllegalTransition,
    ItemsUnavailable,
    OrderCancelled,
    PaymentDeclined,
)
from orchid.services.orders.schemas import CheckoutResult, OrderQuery
from tests.unit.orders_factories import (
    CHALLENGE_CARD,
    DECLINE_CARD,
    SUCCESS_CARD,
    Shop,
    Shopper,
    add_product,
    crash_at,
    drain_webhooks,
    orders_of,
    sign_up,
)

STEPS = ("reserved", "order_created", "intent_created", "confirmed")
LATER = timedelta(minutes=16)  # past the 15-minute hold


@pytest.fixture
async def shop(app: FastAPI, api: httpx.AsyncClient) -> AsyncIterator[Shop]:
    opened = await Shop.open(app, api)
    yield opened
    await drain_webhooks(opened.services)  # before the app closes the databases under them


# -- the happy paths ----------------------------------------------------------------------------

async def test_cod_checkout_confirms_allocates_and_clears_the_cart(shop: Shop) -> None:
    sku = await add_product(shop.services, price=29_900, mrp=39_900)
    shopper = await shop.shopper_with((sku, 2))
    result = await shop.checkout(shopper)
    order = result.order
    assert order.status == "confirmed" and order.payment_method == "cod"
    assert (order.subtotal_paise, order.shipping_paise, order.total_paise) == (59_800, 0, 59_800)
    assert order.mrp_total_paise == 79_800 and order.savings_paise == 20_000
    assert order.gst_paise == 9_122 and [g.rate_bp for g in order.gst_breakdown] == [1800]
    assert order.address.city == "Bengaluru" and order.lines[0].quantity == 2
    assert [(e.from_status, e.to_status) for e in order.events] == [
        (None, "pending_payment"), ("pending_payment", "confirmed")]
    assert result.payment is not None and result.payment.status == "cod_pending"
    assert await shop.stock(sku) == (8, 0)
    assert (await orders_of(shop.main_db, shopper.customer_id))[0].allocated
    assert await shop.services.cart.get_lines(cart_id=shopper.cart_id) == []
    history = await shop.services.orders.list_orders(query=OrderQuery(),
                                                     customer_id=shopper.customer_id)
    assert [o.number for o in history.items] == [order.number]
    assert history.items[0].item_count == 2


async def test_small_order_pays_shipping_and_low_rate_gst(shop: Shop) -> None:
    tea = await add_product(shop.services, price=10_500, mrp=12_000, category="herbal-teas")
    shopper = await shop.shopper_with((tea, 1))
    order = (await shop.checkout(shopper)).order
    assert (order.subtotal_paise, order.shipping_paise, order.total_paise) == (10_500, 4_900,
                                                                               15_400)
    assert order.lines[0].gst_rate_bp == 500 and order.gst_paise == 500


async def test_card_success_confirms(shop: Shop) -> None:
    sku = await add_product(shop.services)
    shopper = await shop.shopper_with((sku, 1))
    result = await shop.checkout(shopper, payment=SUCCESS_CARD)
    await drain_webhooks(shop.services)
    assert result.order.status == "confirmed"
    assert result.payment is not None and result.payment.status == "succeeded"
    assert result.payment.card_last4 == "1111"
    assert await shop.stock(sku) == (9, 0)


async def test_card_decline_cancels_and_leaves_no_reservation(shop: Shop) -> None:
    sku = await add_product(shop.services)
    shopper = await shop.shopper_with((sku, 3))
    with pytest.raises(PaymentDeclined) as caught:
        await shop.checkout(shopper, payment=DECLINE_CARD)
    await drain_webhooks(shop.services)
    assert caught.value.status == 402 and caught.value.data["decline_code"] == "card_declined"
    [order] = await orders_of(shop.main_db, shopper.customer_id)
    assert order.status == "cancelled" and not order.allocated
    assert await shop.stock(sku) == (10, 0)
    assert len(await shop.services.cart.get_lines(cart_id=shopper.cart_id)) == 1  # kept
    with pytest.raises(PaymentDeclined):  # the same key answers the same
        await shop.checkout(shopper, payment=DECLINE_CARD)


@pytest.mark.parametrize(("approve", "status", "stock"), [(True, "confirmed", (9, 0)),
                                                          (False, "cancelled", (10, 0))])
async def test_3ds_waits_for_the_webhook(shop: Shop, approve: bool, status: str,
                                         stock: tuple[int, int]) -> None:
    sku = await add_product(shop.services)
    shopper = await shop.shopper_with((sku, 1))
    result = await shop.checkout(shopper, payment=CHALLENGE_CARD)
    assert result.order.status == "pending_payment"
    assert result.payment is not None and result.payment.status == "requires_action"
    assert result.payment.next_action_url and "/3ds/" in result.payment.next_action_url
    assert await shop.stock(sku) == (10, 1)
    intent_id = result.payment.next_action_url.rsplit("/", 1)[-1]
    await shop.services.payments.complete_challenge(intent_id=intent_id, approve=approve)
    await drain_webhooks(shop.services)
    order = await shop.services.orders.get_order(number=result.order.number)
    assert order.status == status
    assert await shop.stock(sku) == stock


# -- idempotency --------------------------------------------------------------------------------

async def test_same_key_returns_the_same_order(shop: Shop) -> None:
    sku = await add_product(shop.services)
    shopper = await shop.shopper_with((sku, 2))
    first = await shop.checkout(shopper)
    again = await shop.checkout(shopper)  # the cart is empty now: the replay must not care
    assert again.order == first.order
    assert len(await orders_of(shop.main_db, shopper.customer_id)) == 1
    assert await shop.stock(sku) == (8, 0)


@pytest.mark.parametrize("change", ["address", "payment"])
async def test_same_key_other_request_conflicts(shop: Shop, change: str) -> None:
    sku = await add_product(shop.services)
    shopper = await shop.shopper_with((sku, 1))
    await shop.checkout(shopper)
    if change == "address":
        other = await shop.api.post("/api/v1/accounts/me/addresses", headers=shopper.auth,
                                    json={"name": "Office", "phone": "9812345678",
                                          "line1": "1 Residency Rd", "city": "Bengaluru",
                                          "state": "Karnataka", "pincode": "560025"})
        shopper = Shopper(shopper.customer_id, shopper.token, other.json()["public_id"])
    with pytest.raises(IdempotencyKeyReused):
        await shop.checkout(shopper, payment=SUCCESS_CARD if change == "payment" else None)


async def test_twenty_concurrent_identical_checkouts_make_one_order(shop: Shop) -> None:
    sku = await add_product(shop.services)
    shopper = await shop.shopper_with((sku, 2))
    results = await asyncio.gather(*(shop.checkout(shopper, "same-key-20") for _ in range(20)),
                                   return_exceptions=True)
    numbers = {r.order.number for r in results if isinstance(r, CheckoutResult)}
    assert len(numbers) == 1, [r for r in results if not isinstance(r, CheckoutResult)]
    assert len(await orders_of(shop.main_db, shopper.customer_id)) == 1
    assert await shop.stock(sku) == (8, 0)


# -- refusals -----------------------------------------------------------------------------------

async def test_out_of_stock_writes_nothing(shop: Shop) -> None:
    sku = await add_product(shop.services, on_hand=1)
    shopper = await shop.shopper_with((sku, 2))
    with pytest.raises(Conflict) as caught:
        await shop.checkout(shopper)
    assert caught.value.code == "out_of_stock" and caught.value.data["skus"] == [sku]
    assert await orders_of(shop.main_db, shopper.customer_id) == []
    assert await shop.stock(sku) == (1, 0)
    assert len(await shop.services.cart.get_lines(cart_id=shopper.cart_id)) == 1


async def test_empty_cart_is_refused(shop: Shop) -> None:
    shopper = await sign_up(shop.api)
    with pytest.raises(CartEmpty):
        await shop.checkout(shopper)


async def test_unpublished_items_are_refused(shop: Shop) -> None:
    sku = await add_product(shop.services)
    shopper = await shop.shopper_with((sku, 1))
    slug = (await shop.services.catalog.get_variants(skus=[sku]))[0].product_slug
    await shop.services.catalog.set_published(slug=slug, published=False)
    with pytest.raises(ItemsUnavailable) as caught:
        await shop.checkout(shopper)
    assert caught.value.data["skus"] == [sku]


async def test_unknown_address_is_not_found(shop: Shop) -> None:
    sku = await add_product(shop.services)
    shopper = await shop.shopper_with((sku, 1))
    with pytest.raises(NotFound):
        await shop.checkout(Shopper(shopper.customer_id, shopper.token, "no-such-address"))
    assert await shop.stock(sku) == (10, 0)


async def test_cod_above_the_cap_is_refused_and_releases_the_stock(shop: Shop) -> None:
    sku = await add_product(shop.services, price=300_000, mrp=300_000)
    shopper = await shop.shopper_with((sku, 2))
    with pytest.raises(InvalidInput) as caught:
        await shop.checkout(shopper)
    assert caught.value.code == "cod_limit_exceeded"
    [order] = await orders_of(shop.main_db, shopper.customer_id)
    assert order.status == "cancelled"
    assert await shop.stock(sku) == (10, 0)
    with pytest.raises(OrderCancelled) as replay:
        await shop.checkout(shopper)
    assert replay.value.data["reason"] == "cod_limit_exceeded"


# -- status changes -----------------------------------------------------------------------------

async def test_staff_walk_an_order_to_refunded(shop: Shop) -> None:
    sku = await add_product(shop.services)
    shopper = await shop.shopper_with((sku, 1))
    number = (await shop.checkout(shopper, payment=SUCCESS_CARD)).order.number
    await drain_webhooks(shop.services)
    orders = shop.services.orders
    with pytest.raises(IllegalTransition):
        await orders.transition(number=number, to="shipped", actor="staff-1")
    for status in ("packed", "shipped", "delivered", "returned", "refunded"):
        order = await orders.transition(number=number, to=status, actor="staff-1")
        assert order.status == status
    intent = await shop.services.payments.get_intent(order_number=number)
    assert intent is not None and intent.status == "refunded"
    with pytest.raises(IllegalTransition):
        await orders.transition(number=number, to="packed", actor="staff-1")
    with pytest.raises(IllegalTransition):
        await orders.transition(number=number, to="confirmed", actor="staff-1")


async def test_customer_cancels_before_packing_and_stock_returns(shop: Shop) -> None:
    sku = await add_product(shop.services)
    shopper = await shop.shopper_with((sku, 2))
    number = (await shop.checkout(shopper)).order.number
    assert await shop.stock(sku) == (8, 0)
    orders = shop.services.orders
    cancelled = await orders.cancel(number=number, customer_id=shopper.customer_id,
                                    actor=shopper.customer_id, reason="customer")
    assert cancelled.status == "cancelled"
    assert await shop.stock(sku) == (10, 0)
    again = await orders.cancel(number=number, customer_id=shopper.customer_id,
                                actor=shopper.customer_id)
    assert again.status == "cancelled" and await shop.stock(sku) == (10, 0)  # not twice
    intent = await shop.services.payments.get_intent(order_number=number)
    assert intent is not None and intent.status == "cancelled"
    assert await orders.finish_returns() == []


async def test_cancelling_a_paid_order_refunds_it(shop: Shop) -> None:
    sku = await add_product(shop.services)
    shopper = await shop.shopper_with((sku, 1))
    number = (await shop.checkout(shopper, payment=SUCCESS_CARD)).order.number
    await drain_webhooks(shop.services)
    await shop.services.orders.cancel(number=number, customer_id=shopper.customer_id,
                                      actor=shopper.customer_id)
    intent = await shop.services.payments.get_intent(order_number=number)
    assert intent is not None and intent.status == "refunded"
    assert await shop.stock(sku) == (10, 0)


async def test_packed_orders_cannot_be_cancelled_and_others_cannot_see_them(shop: Shop) -> None:
    sku = await add_product(shop.services)
    shopper = await shop.shopper_with((sku, 1))
    number = (await shop.checkout(shopper)).order.number
    orders = shop.services.orders
    await orders.transition(number=number, to="packed", actor="staff-1")
    with pytest.raises(IllegalTransition):
        await orders.cancel(number=number, customer_id=shopper.customer_id, actor="me")
    stranger = await sign_up(shop.api)
    for call in (orders.get_order(number=number, customer_id=stranger.customer_id),
                 orders.cancel(number=number, customer_id=stranger.customer_id, actor="x")):
        with pytest.raises(NotFound):
            await call


# -- settlement ---------------------------------------------------------------------------------

async def test_settling_twice_changes_nothing(shop: Shop) -> None:
    sku = await add_product(shop.services)
    shopper = await shop.shopper_with((sku, 1))
    number = (await shop.checkout(shopper, payment=SUCCESS_CARD)).order.number
    await drain_webhooks(shop.services)
    orders = shop.services.orders
    first = await orders.settle_payment(order_number=number, outcome="succeeded")
    second = await orders.settle_payment(order_number=number, outcome="succeeded")
    late_failure = await orders.settle_payment(order_number=number, outcome="failed")
    assert first == second == late_failure and first.status == "confirmed"
    assert await shop.stock(sku) == (9, 0)


async def test_payment_after_the_hold_lapsed_reserves_again(shop: Shop) -> None:
    sku = await add_product(shop.services, on_hand=1)
    number = await shop.pending_3ds(sku)
    await shop.services.inventory.expire_reservations(now=utcnow() + LATER)
    assert await shop.stock(sku) == (1, 0)
    order = await shop.services.orders.settle_payment(order_number=number, outcome="succeeded")
    assert order.status == "confirmed" and await shop.stock(sku) == (0, 0)


async def test_payment_after_the_stock_was_sold_is_refunded(shop: Shop) -> None:
    sku = await add_product(shop.services, on_hand=1)
    number = await shop.pending_3ds(sku)
    await shop.services.inventory.expire_reservations(now=utcnow() + LATER)
    rival = await shop.shopper_with((sku, 1))
    await shop.checkout(rival)  # takes the last unit
    await _approve(shop, number)
    order = await shop.services.orders.get_order(number=number)
    assert order.status == "cancelled" and order.events[-1].reason == "out_of_stock"
    intent = await shop.services.payments.get_intent(order_number=number)
    assert intent is not None and intent.status == "refunded"
    assert await shop.stock(sku) == (0, 0)


async def _approve(shop: Shop, number: str) -> None:
    intent = await shop.services.payments.get_intent(order_number=number)
    assert intent is not None
    await shop.services.payments.complete_challenge(intent_id=intent.public_id, approve=True)
    await drain_webhooks(shop.services)


# -- crashes between steps ----------------------------------------------------------------------

@pytest.mark.parametrize("step", STEPS)
async def test_retry_after_a_crash_completes(shop: Shop, step: str) -> None:
    sku, shopper = await crash_at(shop, step)
    result = await shop.checkout(shopper, "crash-key-1")
    assert result.order.status == "confirmed"
    [order] = await orders_of(shop.main_db, shopper.customer_id)
    assert order.allocated and order.number == result.order.number
    assert await shop.stock(sku) == (8, 0)
    assert await shop.services.cart.get_lines(cart_id=shopper.cart_id) == []


@pytest.mark.parametrize("step", ["order_created", "intent_created"])
async def test_retry_after_a_crash_completes_card_payments(shop: Shop, step: str) -> None:
    sku, shopper = await crash_at(shop, step, SUCCESS_CARD)
    result = await shop.checkout(shopper, "crash-key-1", payment=SUCCESS_CARD)
    await drain_webhooks(shop.services)
    assert result.order.status == "confirmed"
    assert await shop.stock(sku) == (8, 0)


async def test_unknown_order_is_not_found(shop: Shop) -> None:
    for number in ("OR-0000-0000-00", "nonsense", "x" * 200):
        with pytest.raises(OrchidError) as caught:
            await shop.services.orders.get_order(number=number)
        assert caught.value.status == 404
