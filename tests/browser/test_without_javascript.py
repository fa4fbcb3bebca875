"""Browsing and the bag work with JavaScript turned off (plain links and forms)."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import Playwright, expect

from tests.browser.conftest import PHONE, Shop, open_browser
from tests.browser.pages import Recorder


def test_search_choose_a_shade_and_change_the_bag_without_javascript(
        shop: Shop, playwright: Playwright, screenshots: Path, tmp_path: Path) -> None:
    browser = open_browser(playwright, PHONE, tmp_path / "profile", javascript=False)
    try:
        page = browser.new_page()
        page.set_default_timeout(15_000)
        shot = Recorder(page, screenshots / "phone-no-js")
        page.goto(shop.url + "/")
        page.get_by_role("searchbox", name="Search for products and brands").fill("lipstick")
        with page.expect_navigation() as results:
            page.get_by_role("button", name="Search", exact=True).click()
        shot.check("search", results.value)

        # Filters apply with their button when nothing submits them on change.
        page.get_by_text("Filter & sort").click()
        page.get_by_label("In stock only").check()
        with page.expect_navigation():
            page.get_by_role("button", name="Apply filters").click()
        expect(page).to_have_url(re.compile(r"in_stock=1"))

        with page.expect_navigation():
            page.locator(".product-card", has_text="Lipstick").first.click()
        second = page.locator(".shade:not(.out)").nth(1)
        shade = second.locator("input").get_attribute("data-name")
        second.click()
        with page.expect_navigation() as bagged:
            page.get_by_role("button", name="Add to bag").click()
        expect(page.locator(".line .variant")).to_have_text(shade or "")
        shot.check("cart", bagged.value)

        page.get_by_label("Qty").select_option("3")
        with page.expect_navigation():
            page.get_by_role("button", name="Update").click()
        expect(page.locator("#bag-count")).to_have_text("3")
        with page.expect_navigation():
            page.get_by_role("button", name=re.compile("^Remove")).click()
        expect(page.get_by_role("heading", name="Your bag is empty")).to_be_visible()
    finally:
        browser.close()


def test_other_pages_keep_the_weight_and_accessibility_rules(
        shop: Shop, playwright: Playwright, screenshots: Path, tmp_path: Path) -> None:
    browser = open_browser(playwright, PHONE, tmp_path / "profile")
    try:
        page = browser.new_page()
        shot = Recorder(page, screenshots / "phone")
        shot.check("register", page.goto(shop.url + "/register"))
        shot.check("empty-cart", page.goto(shop.url + "/cart"))
        missing = page.goto(shop.url + "/p/no-such-product")
        assert missing is not None and missing.status == 404
        shot.check("not-found", missing)
        search = page.goto(shop.url + "/search?q=serum&sort=price_asc")
        shot.check("search-serum", search)
    finally:
        browser.close()
