"""Order numbers, reservation keys, fingerprints, and the status table they move through."""

from __future__ import annotations

import re
from typing import Any

import pytest

from orchid.services.orders.errors import IllegalTransition, ReservationLapsed
from orchid.services.orders.identifiers import (
    CROCKFORD,
    MAX_REKEYS,
    fingerprint,
    new_number,
    next_reservation_key,
    normalise_number,
    reservation_key,
)
from orchid.services.orders.states import (
    CUSTOMER_CANCELLABLE,
    STATUSES,
    TRANSITIONS,
    OrderStatus,
    can_move,
    check_move,
)

NUMBER = re.compile(r"^OR-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{2}$")


def test_numbers_are_random_crockford_base32() -> None:
    numbers = {new_number() for _ in range(2000)}
    assert len(numbers) == 2000
    for number in numbers:
        assert NUMBER.match(number)
        assert set(number[3:].replace("-", "")) <= set(CROCKFORD)
        assert normalise_number(number) == number


@pytest.mark.parametrize(("typed", "canonical"), [
    ("or-7kq2-m9xd-3p", "OR-7KQ2-M9XD-3P"),
    (" OR-7KQ2-M9XD-3P ", "OR-7KQ2-M9XD-3P"),
    ("OR-7KQ2-M9XD-3O", "OR-7KQ2-M9XD-30"),      # O read as zero
    ("OR-7KQ2-MIXD-3L", "OR-7KQ2-M1XD-31"),      # I and L read as one
])
def test_typed_numbers_are_normalised(typed: str, canonical: str) -> None:
    assert normalise_number(typed) == canonical


@pytest.mark.parametrize("typed", ["", "OR-", "OR-7KQ2-M9XD", "XX-7KQ2-M9XD-3P",
                                   "OR-7KQ2-M9XD-3U", "OR-7KQ2-M9XD-3PP", "x" * 500])
def test_other_strings_are_not_numbers(typed: str) -> None:
    assert normalise_number(typed) is None


def test_reservation_keys_fit_inventory_and_depend_on_customer_and_key() -> None:
    key = reservation_key("cust-1", "key-0001")
    assert re.fullmatch(r"chk_[0-9a-f]{56}", key)
    assert key == reservation_key("cust-1", "key-0001")
    assert key != reservation_key("cust-2", "key-0001")
    assert key != reservation_key("cust-1", "key-0002")
    assert reservation_key("a", "b\x1fc") != reservation_key("a\x1fb", "c")


def test_re_keys_form_a_finite_chain_that_fits_64_characters() -> None:
    key = reservation_key("cust-1", "key-0001")
    chain = [key]
    for _ in range(MAX_REKEYS):
        chain.append(next_reservation_key(chain[-1]))
    assert chain[1] == f"{key}.r1" and chain[-1] == f"{key}.r{MAX_REKEYS}"
    assert all(len(k) <= 64 and re.fullmatch(r"[A-Za-z0-9_.:-]+", k) for k in chain)
    with pytest.raises(ReservationLapsed):
        next_reservation_key(chain[-1])


def fp(*, customer_id: str = "c1", address_id: str = "a1",
       payment: dict[str, Any] | None = None,
       lines: list[tuple[str, int, int]] | None = None) -> str:
    """A fingerprint with defaults for what a test does not vary."""
    return fingerprint(customer_id=customer_id, address_id=address_id,
                       payment=payment or {"type": "cod"},
                       lines=lines or [("A-1", 1, 100), ("B-1", 2, 200)])


def test_fingerprint_covers_lines_address_and_payment_in_any_line_order() -> None:
    assert fp() == fp(lines=[("B-1", 2, 200), ("A-1", 1, 100)])
    assert len({fp(), fp(address_id="a2"), fp(customer_id="c2"),
                fp(payment={"type": "card", "last4": "1111"}),
                fp(lines=[("A-1", 2, 100), ("B-1", 2, 200)]),
                fp(lines=[("A-1", 1, 101), ("B-1", 2, 200)])}) == 6


def test_status_table() -> None:
    assert set(TRANSITIONS) == set(STATUSES)
    assert [s for s in STATUSES if not TRANSITIONS[s]] == ["refunded", "cancelled"]
    assert CUSTOMER_CANCELLABLE == {s for s in STATUSES if can_move(s, "cancelled")}
    path: list[OrderStatus] = ["pending_payment", "confirmed", "packed", "shipped",
                               "delivered", "returned", "refunded"]
    for current, target in zip(path, path[1:], strict=False):
        check_move(current, target)
    illegal: list[tuple[OrderStatus, OrderStatus]] = [
        ("pending_payment", "packed"), ("packed", "cancelled"), ("cancelled", "confirmed"),
        ("delivered", "refunded"), ("confirmed", "confirmed")]
    for current, target in illegal:
        with pytest.raises(IllegalTransition) as caught:
            check_move(current, target)
        assert caught.value.status == 409 and caught.value.data["current"] == current
