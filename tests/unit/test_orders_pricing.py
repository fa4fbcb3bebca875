"""Order money: GST contained in inclusive prices, rates by category, shipping and totals."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import pytest

from orchid.seed.vocabulary import CATEGORY_TREE
from orchid.services.orders.pricing import (
    DEFAULT_GST_BP,
    FREE_SHIPPING_FROM_PAISE,
    GST_RATES_BP,
    SHIPPING_FEE_PAISE,
    PricedLine,
    gst_breakdown,
    gst_included,
    gst_rate_bp,
    price_line,
    round_half_up,
    shipping_paise,
    totals,
)


def line(price: int, *, quantity: int = 1, mrp: int | None = None,
         path: tuple[str, ...] = ("makeup", "eyes", "kajal"), sku: str = "KAJAL-1",
         **rates: Any) -> PricedLine:
    """Price one line with sensible defaults."""
    return price_line(sku=sku, product_slug="kajal", product_name="Kajal", variant_name="Black",
                      quantity=quantity, unit_price_paise=price,
                      unit_mrp_paise=mrp if mrp is not None else price,
                      category_path=list(path), **rates)


# -- rounding -----------------------------------------------------------------------------------

@pytest.mark.parametrize(("numerator", "denominator", "expected"), [
    (0, 7, 0), (1, 2, 1), (3, 2, 2), (5, 2, 3), (1, 3, 0), (2, 3, 1), (10, 5, 2),
    (14, 4, 4), (15, 10, 2), (149, 100, 1), (150, 100, 2), (151, 100, 2)])
def test_round_half_up(numerator: int, denominator: int, expected: int) -> None:
    assert round_half_up(numerator, denominator) == expected


@pytest.mark.parametrize(("numerator", "denominator"), [(-1, 2), (1, 0), (1, -3)])
def test_round_half_up_refuses_negatives_and_zero(numerator: int, denominator: int) -> None:
    with pytest.raises(ValueError):
        round_half_up(numerator, denominator)


def test_round_half_up_matches_exact_arithmetic() -> None:
    for denominator in (1, 2, 3, 7, 10_500, 11_200, 11_800, 12_800):
        for numerator in range(0, 40_000, 37):
            exact = Fraction(numerator, denominator)
            floor = exact.numerator // exact.denominator
            expected = floor + (1 if exact - floor >= Fraction(1, 2) else 0)
            assert round_half_up(numerator, denominator) == expected


# -- GST contained in an inclusive price --------------------------------------------------------

@pytest.mark.parametrize(("amount", "rate", "expected"), [
    (11_800, 1800, 1_800),     # ₹118 at 18 % holds exactly ₹18
    (10_500, 500, 500),        # ₹105 at 5 % holds ₹5
    (11_200, 1200, 1_200),     # ₹112 at 12 % holds ₹12
    (49_900, 1800, 7_612),     # 49900 × 18/118 = 7611.86… → 7612
    (100, 1800, 15),           # 15.25… → 15
    (59, 1800, 9),             # 9.0 → 9
    (7, 500, 0),               # 0.33… → 0
    (21, 500, 1),              # exactly 1.0
    (0, 1800, 0),
    (12_345, 0, 0),            # exempt goods hold no GST
])
def test_gst_included(amount: int, rate: int, expected: int) -> None:
    assert gst_included(amount, rate) == expected


def test_gst_included_rounds_an_exact_half_up() -> None:
    # At 12 % the share is amount × 3 / 28, so multiples of 14 paise land on exact halves.
    assert gst_included(14, 1200) == 2  # 1.5 → 2
    assert gst_included(42, 1200) == 5  # 4.5 → 5
    assert gst_included(13, 1200) == 1  # 1.39… → 1


def test_gst_is_within_a_paisa_of_the_exact_share() -> None:
    for rate in (500, 1200, 1800, 2800):
        for amount in range(1, 100_000, 97):
            exact = Fraction(amount * rate, 10_000 + rate)
            assert abs(gst_included(amount, rate) - exact) <= Fraction(1, 2)


# -- rates by category -------------------------------------------------------------------------

@pytest.mark.parametrize(("path", "expected"), [
    (["wellness", "herbal-teas"], 500),
    (["wellness", "supplements", "herbal-supplements"], 1200),
    (["wellness", "supplements", "biotin"], 1800),     # the parent's rate applies
    (["wellness", "supplements"], 1800),
    (["makeup", "eyes", "kajal"], DEFAULT_GST_BP),      # not listed: 18 %
    (["wellness"], DEFAULT_GST_BP),
    ([], DEFAULT_GST_BP),                               # uncategorised
])
def test_gst_rate_by_category_path(path: list[str], expected: int) -> None:
    assert gst_rate_bp(path) == expected


def test_deepest_listed_category_wins() -> None:
    rates = {"wellness": 500, "supplements": 1800, "herbal-supplements": 1200}
    assert gst_rate_bp(["wellness", "supplements", "herbal-supplements"], rates) == 1200
    assert gst_rate_bp(["wellness", "supplements", "biotin"], rates) == 1800
    assert gst_rate_bp(["wellness", "herbal-teas"], rates) == 500


def test_rate_table_names_real_category_slugs() -> None:
    slugs = {slug for slug, _, _ in CATEGORY_TREE}
    assert set(GST_RATES_BP) <= slugs
    assert all(0 <= rate <= 2800 for rate in GST_RATES_BP.values())


# -- lines --------------------------------------------------------------------------------------

def test_line_takes_gst_from_the_line_total_once() -> None:
    priced = line(100, quantity=3)
    # Per unit: 15.25 → 15, three times 45; from the total: 45.76 → 46. The invoice shows 46.
    assert priced.line_total_paise == 300 and priced.gst_paise == 46
    assert priced.gst_rate_bp == 1800


def test_line_carries_mrp_and_rate_of_its_category() -> None:
    priced = line(42_000, quantity=2, mrp=50_000, path=("wellness", "herbal-teas"))
    assert priced.line_mrp_paise == 100_000 and priced.line_total_paise == 84_000
    assert priced.gst_rate_bp == 500 and priced.gst_paise == 4_000


@pytest.mark.parametrize(("quantity", "price", "mrp"), [(0, 100, 100), (-1, 100, 100),
                                                        (1, -5, 100), (1, 200, 100)])
def test_line_refuses_impossible_input(quantity: int, price: int, mrp: int) -> None:
    with pytest.raises(ValueError):
        line(price, quantity=quantity, mrp=mrp)


# -- shipping and totals -----------------------------------------------------------------------

@pytest.mark.parametrize(("subtotal", "fee"), [
    (1, SHIPPING_FEE_PAISE), (49_899, 4_900), (49_900, 0), (49_901, 0), (1_000_000, 0)])
def test_shipping_is_free_from_499_rupees(subtotal: int, fee: int) -> None:
    assert FREE_SHIPPING_FROM_PAISE == 49_900
    assert shipping_paise(subtotal) == fee


def test_totals_of_a_mixed_basket() -> None:
    lines = [line(29_900, quantity=2, mrp=39_900),
             line(10_500, mrp=12_000, path=("wellness", "herbal-teas"), sku="TEA-1"),
             line(11_200, path=("wellness", "supplements", "herbal-supplements"), sku="ASH-1")]
    summary = totals(lines)
    assert summary.subtotal_paise == 59_800 + 10_500 + 11_200
    assert summary.mrp_total_paise == 79_800 + 12_000 + 11_200
    assert summary.savings_paise == 20_000 + 1_500
    assert summary.gst_by_rate_bp == {500: 500, 1200: 1_200, 1800: gst_included(59_800, 1800)}
    assert list(summary.gst_by_rate_bp) == [500, 1200, 1800]
    assert summary.gst_paise == sum(summary.gst_by_rate_bp.values())
    assert summary.shipping_paise == 0
    assert summary.total_paise == summary.subtotal_paise


def test_small_basket_pays_shipping_outside_the_gst() -> None:
    summary = totals([line(19_900)])
    assert summary.shipping_paise == 4_900 and summary.total_paise == 24_800
    assert summary.gst_paise == gst_included(19_900, 1800)


def test_gst_per_rate_sums_lines_rounded_one_by_one() -> None:
    lines = [line(100, sku="A-1"), line(100, sku="B-1")]
    assert gst_breakdown(lines) == {1800: 30}  # 15 + 15, not 30.5 → 31 from the sum


def test_totals_need_a_line() -> None:
    with pytest.raises(ValueError):
        totals([])
