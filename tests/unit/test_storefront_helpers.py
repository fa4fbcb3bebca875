"""CSRF tokens, page forms, delivery estimates, drawn product pictures and edge prefixes."""

from __future__ import annotations

import pytest

from orchid.kit.errors import InvalidInput
from orchid.services.registry import public_path_prefixes
from orchid.services.storefront import delivery, images
from orchid.services.storefront.csrf import CsrfSigner
from orchid.services.storefront.deps import safe_next
from orchid.services.storefront.forms import BadForm, check_pincode, parse_form


def test_a_csrf_token_is_valid_only_for_its_binding_and_key() -> None:
    signer = CsrfSigner(secret_key="one-secret-key-for-the-tests")
    token = signer.token("g:guest-cart")
    assert signer.valid(token, "g:guest-cart")
    assert not signer.valid(token, "g:another-cart")
    assert not signer.valid(token, None)
    assert not signer.valid(None, "g:guest-cart")
    assert not signer.valid(token[:-1] + ("A" if token[-1] != "A" else "B"), "g:guest-cart")
    assert not CsrfSigner(secret_key="another-secret-key").valid(token, "g:guest-cart")


def test_forms_are_parsed_and_checked_field_by_field() -> None:
    form = parse_form(b"sku=ORC-1&quantity=2&quantity=9&name=+Meera+")
    assert form.text("sku") == "ORC-1"
    assert form.integer("quantity", low=1, high=10) == 2  # the first value wins
    assert form.text("name") == "Meera"
    assert form.integer("missing", low=1, high=10, default=1) == 1
    with pytest.raises(BadForm, match="required"):
        form.text("missing")
    with pytest.raises(BadForm, match="1 to 10"):
        parse_form(b"quantity=11").integer("quantity", low=1, high=10)
    for raw in (b"-1", b"%C2%B2", b"%D9%A2", b"9" * 5000, b"1.0"):  # ², Arabic-Indic 2
        with pytest.raises(BadForm):
            parse_form(b"quantity=" + raw).integer("quantity", low=1, high=10)
    with pytest.raises(BadForm, match="UTF-8"):
        parse_form(b"name=%ff\xff")
    with pytest.raises(BadForm, match="too large"):
        parse_form(b"x=" + b"a" * 20_000)
    assert issubclass(BadForm, InvalidInput) and BadForm.status == 400


@pytest.mark.parametrize("pincode", ["560034", "110 001", "999999"])
def test_indian_pincodes_are_six_digits_not_starting_with_zero(pincode: str) -> None:
    assert check_pincode(pincode) == pincode.replace(" ", "")


@pytest.mark.parametrize("pincode", ["060034", "56003", "5600345", "56003a", ""])
def test_other_pincodes_are_refused(pincode: str) -> None:
    with pytest.raises(BadForm, match="6-digit pincode"):
        check_pincode(pincode)


def test_delivery_estimates_go_by_postal_zone_and_stock() -> None:
    south = delivery.estimate(pincode="560034", in_stock=True)
    assert south.message == "In stock — delivery to 560034 in 2-4 days"
    assert south.region == "South India"
    east = delivery.estimate(pincode="700001", in_stock=True)
    assert (east.fastest_days, east.slowest_days) == (4, 6)
    assert "Out of stock" in delivery.estimate(pincode="110001", in_stock=False).message
    assert set(delivery.ZONES) == set("123456789")


def test_every_category_of_the_demo_catalog_has_a_drawn_pack() -> None:
    from orchid.seed.vocabulary import CATEGORY_TREE

    leaves = {slug for slug, _, _ in CATEGORY_TREE} - {p for _, _, p in CATEGORY_TREE if p}
    assert leaves <= set(images.SHAPES)
    svg = images.product_svg(category="lipstick", colour="#B0304A", brand="Pout & <Theory>",
                             title="A lipstick")
    assert svg.startswith("<svg") and "#B0304A" in svg
    assert "Pout &amp; &lt;Theory&gt;" in svg  # names are escaped
    assert images.tone_for(slug="x", category="serums") in images.TONES["dropper"]
    assert images.swatch_svg(colour="#B0304A").count("#B0304A") >= 2


@pytest.mark.parametrize(("given", "expected"), [
    ("/checkout", "/checkout"), ("/p/kajal?sku=A", "/p/kajal?sku=A"), ("//evil.example", "/"),
    ("https://evil.example", "/"), ("/\\evil.example", "/"), (None, "/"), ("", "/")])
def test_only_same_site_paths_are_followed_after_sign_in(given: str | None,
                                                         expected: str) -> None:
    assert safe_next(given) == expected


def test_the_edge_routes_the_shop_pages_and_keeps_the_api_prefixes() -> None:
    prefixes = public_path_prefixes()
    assert prefixes["/api/v1/cart"] == "cart"
    assert prefixes["/api/v1/catalog"] == "catalog"
    for path in ("/p/", "/c/", "/search", "/cart", "/checkout", "/orders", "/login",
                 "/account", "/static/", "/img/"):
        assert prefixes[path] == "storefront", path
    assert "/" not in prefixes  # the home page stays with the edge's fallback route
