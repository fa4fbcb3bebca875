"""Rupees as Indian shoppers read them, discounts, GST rates, dates and phones."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from orchid.services.storefront.money import (
    discount_percent,
    group_indian,
    inr,
    percent_label,
)
from orchid.services.storefront.render import in_india, phone_display


@pytest.mark.parametrize(("number", "text"), [
    (0, "0"), (999, "999"), (1_299, "1,299"), (12_345, "12,345"), (1_29_999, "1,29,999"),
    (10_00_000, "10,00,000"), (1_00_00_000, "1,00,00,000"), (-1_299, "-1,299")])
def test_digits_are_grouped_in_lakhs_and_crores(number: int, text: str) -> None:
    assert group_indian(number) == text


@pytest.mark.parametrize(("paise", "text"), [
    (129_900, "₹1,299"), (129_999_00, "₹1,29,999"), (49_950, "₹499.50"), (6_849, "₹68.49"),
    (5, "₹0.05"), (0, "₹0"), (-15_000, "-₹150")])
def test_paise_show_as_rupees_with_paise_only_when_there_are_some(paise: int, text: str) -> None:
    assert inr(paise) == text


def test_discount_is_rounded_down_and_never_negative() -> None:
    assert discount_percent(price_paise=29_900, mrp_paise=39_900) == 25  # 25.06 %
    assert discount_percent(price_paise=44_900, mrp_paise=59_900) == 25  # 25.04 %
    assert discount_percent(price_paise=33_400, mrp_paise=50_000) == 33  # 33.2 %
    assert discount_percent(price_paise=59_900, mrp_paise=59_900) == 0
    assert discount_percent(price_paise=1, mrp_paise=0) == 0


def test_gst_rates_read_as_percentages() -> None:
    assert percent_label(1800) == "18%"
    assert percent_label(500) == "5%"
    assert percent_label(250) == "2.5%"


def test_times_are_shown_in_indian_standard_time() -> None:
    assert in_india(datetime(2026, 11, 24, 11, 0, tzinfo=UTC)) == "24 Nov 2026, 4:30 pm"
    assert in_india(datetime(2026, 11, 23, 19, 0, tzinfo=UTC)) == "24 Nov 2026, 12:30 am"
    assert in_india(datetime(2026, 11, 23, 19, 0, tzinfo=UTC), with_time=False) == "24 Nov 2026"


def test_indian_mobiles_are_spaced_as_written() -> None:
    assert phone_display("+919812345678") == "+91 98123 45678"
    assert phone_display("+14155550100") == "+14155550100"
