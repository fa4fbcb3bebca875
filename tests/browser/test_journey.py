"""A shopper's whole trip in a real browser, on a desktop and on a phone.

Search → pick a shade → check delivery → add to bag → sign in by SMS code → add an address →
pay cash on delivery → see the order in their history. Every page is screenshotted, weighed
(HTML + CSS + JS ≤ 100 KB) and audited for basic accessibility on the way.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, Playwright, expect

from tests.browser.conftest import DESKTOP, PHONE, Shop, open_browser
from tests.browser.pages import Recorder, Viewport, read_otp

PHONES = {"desktop": "+919812345671", "phone": "+919812345672"}


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=lambda v: v.name)
def test_search_pick_a_shade_sign_in_by_otp_and_pay_cash_on_delivery(
        viewport: Viewport, shop: Shop, playwright: Playwright, screenshots: Path,
        tmp_path: Path) -> None:
    _in_browser(playwright, viewport, tmp_path / "profile", screenshots / viewport.name,
                shop, phone=PHONES[viewport.name])


def test_the_journey_with_the_storefront_in_its_own_process(
        split_shop: Shop, playwright: Playwright, screenshots: Path, tmp_path: Path) -> None:
    _in_browser(playwright, DESKTOP, tmp_path / "profile", screenshots / "desktop-split",
                split_shop, phone="+919812345673")


def _in_browser(playwright: Playwright, viewport: Viewport, profile: Path, shots: Path,
                shop: Shop, *, phone: str) -> None:
    """The journey in a fresh browser at `viewport`, screenshots into `shots`."""
    browser = open_browser(playwright, viewport, profile)
    try:
        page = browser.new_page()
        page.set_default_timeout(15_000)
        _journey(page, shop, Recorder(page, shots), phone=phone)
    finally:
        browser.close()


def _journey(page: Page, shop: Shop, shot: Recorder, *, phone: str) -> None:
    shot.check("home", page.goto(shop.url + "/"))
    expect(page.get_by_role("heading", name="Bestsellers")).to_be_visible()

    # Autocomplete, then the full results.
    search = page.get_by_role("searchbox", name="Search for products and brands")
    search.fill("lipstick")
    expect(page.locator("#suggestions a").first).to_be_visible()
    page.screenshot(path=str(shot.folder / "autocomplete.png"))
    with page.expect_navigation() as results:
        search.press("Enter")
    shot.check("search", results.value)
    expect(page.get_by_role("heading", level=1)).to_contain_text("lipstick")

    # A lipstick in stock with more than one shade; pick the second shade.
    card = page.locator(".product-card", has_text="Lipstick").first
    with page.expect_navigation() as opened:
        card.click()
    shades = page.locator(".shade:not(.out) input[name=sku]")
    assert shades.count() >= 2, "the first lipstick result should have two shades in stock"
    chosen = shades.nth(1)
    shade_name = chosen.get_attribute("data-name") or ""
    page.locator(".shade:not(.out)").nth(1).click()
    expect(page.locator("#variant-name")).to_have_text(shade_name)
    expect(page).to_have_url(re.compile(r"\?sku="))

    # Delivery to a pincode, answered by the page (a GET form).
    page.get_by_label("Pincode").fill("560034")
    with page.expect_navigation() as checked:
        page.get_by_role("button", name="Check").click()
    expect(page.locator("#delivery-answer")).to_contain_text("delivery to 560034 in 2-4 days")
    expect(page.locator("#variant-name")).to_have_text(shade_name)  # the shade is kept
    shot.check("product", checked.value)
    del opened

    with page.expect_navigation() as bagged:
        page.get_by_role("button", name="Add to bag").click()
    expect(page.locator(".line .variant")).to_have_text(shade_name)
    expect(page.locator("#bag-count")).to_have_text("1")
    expect(page.locator(".gst-note")).to_contain_text("Includes GST of ₹")
    shot.check("cart", bagged.value)

    # Checkout asks to sign in: by a code texted to the phone (read from the server log).
    with page.expect_navigation() as login:
        page.get_by_role("link", name="Checkout").click()
    expect(page).to_have_url(re.compile(r"/login\?next=%2Fcheckout"))
    shot.check("login", login.value)
    page.get_by_label("Mobile number", exact=True).fill(phone[3:8] + " " + phone[8:])
    with page.expect_navigation() as otp:
        page.get_by_role("button", name="Send code").click()
    shot.check("otp", otp.value)
    page.get_by_label("6-digit code").fill(read_otp(shop.log, phone))
    with page.expect_navigation():
        page.get_by_role("button", name="Verify and sign in").click()
    expect(page).to_have_url(re.compile(r"/checkout$"))

    # A first address, then cash on delivery.
    page.get_by_label("Full name").fill("Meera Iyer")
    page.locator("#a-phone").fill(phone[3:])
    page.get_by_label("Flat, house, street").fill("Flat 4, 2nd Cross, Koramangala")
    page.locator("#a-pincode").fill("560034")
    page.get_by_label("City").fill("Bengaluru")
    page.get_by_label("State").select_option("Karnataka")
    with page.expect_navigation() as saved:
        page.get_by_role("button", name="Save address").click()
    expect(page.get_by_role("radio", name=re.compile("Meera Iyer"))).to_be_checked()
    page.get_by_role("radio", name=re.compile("Cash on delivery")).check()
    expect(page.locator(".gst-note")).to_contain_text("GST")
    shot.check("checkout", saved.value)
    with page.expect_navigation() as placed:
        page.get_by_role("button", name=re.compile(r"^Place order · ₹")).click()
    expect(page.get_by_text("Thank you! Your order is placed.")).to_be_visible()
    number = page.get_by_role("heading", level=1).inner_text().removeprefix("Order ").strip()
    expect(page.locator(".sum")).to_contain_text("GST included (18%)")
    shot.check("order-confirmation", placed.value)

    # The order is in their history.
    with page.expect_navigation() as history:
        page.goto(shop.url + "/orders")
    expect(page.get_by_role("link", name=re.compile(f"Order {number}"))).to_be_visible()
    shot.check("orders", history.value)

    shot.check("account", page.goto(shop.url + "/account"))
    shot.check("category", page.goto(shop.url + "/c/makeup"))
