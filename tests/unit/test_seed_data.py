"""Tests for the deterministic demo-data generator."""

import re
import time
from datetime import timedelta
from itertools import islice

from orchid.seed.data import (
    REFERENCE_DATE,
    ProductRow,
    brands,
    categories,
    generate_customers,
    generate_products,
    slugify,
)
from orchid.seed.vocabulary import CITIES, LEAVES

DEPARTMENTS = {"makeup", "skincare", "haircare", "fragrance", "bath-body", "men", "wellness"}


def _leaves() -> set[str]:
    rows = categories()
    parents = {row.parent_slug for row in rows}
    return {row.slug for row in rows if row.slug not in parents}


def _products(count: int, seed: int = 7) -> list[ProductRow]:
    return list(generate_products(count, seed))


def test_slugify_examples() -> None:
    assert slugify("L'Oréal Paris") == "loreal-paris"
    assert slugify("Dolce & Gabbana") == "dolce-gabbana"
    assert slugify("Men\u2019s Grooming Co.") == "mens-grooming-co"
    assert slugify("  Kāya  Ayurveda ") == "kaya-ayurveda"


def test_same_seed_gives_same_products() -> None:
    first = list(islice(generate_products(1_000, 42), 200))
    assert first == _products(200, seed=42)


def test_different_seed_gives_different_products() -> None:
    assert _products(200, seed=1) != _products(200, seed=2)


def test_same_seed_gives_same_customers() -> None:
    assert list(generate_customers(200, 5)) == list(generate_customers(200, 5))
    assert list(generate_customers(200, 5)) != list(generate_customers(200, 6))


def test_tree_lists_parents_first_and_has_the_departments() -> None:
    seen: set[str] = set()
    for row in categories():
        assert row.parent_slug is None or row.parent_slug in seen
        assert row.slug not in seen
        seen.add(row.slug)
    assert {row.slug for row in categories() if row.parent_slug is None} == DEPARTMENTS
    assert 40 <= len(_leaves()) <= 60
    assert _leaves() == set(LEAVES)


def test_brands_are_distinct_and_some_have_tricky_names() -> None:
    rows = brands()
    assert 55 <= len(rows) <= 65
    assert len({row.slug for row in rows}) == len(rows)
    tricky = [r.name for r in rows if "'" in r.name or "&" in r.name or not r.name.isascii()]
    assert len(tricky) >= 5


def test_products_are_unique_and_reference_real_rows() -> None:
    products = _products(20_000)
    leaves = _leaves()
    brand_slugs = {row.slug for row in brands()}
    skus = [v.sku for p in products for v in p.variants]
    assert len({p.slug for p in products}) == len(products)
    assert len(set(skus)) == len(skus)
    assert all(re.fullmatch(r"ORC-[0-9A-Z]{6}-\d{2}", sku) for sku in skus)
    assert all(p.category_slug in leaves and p.brand_slug in brand_slugs for p in products)


def test_prices_are_positive_integer_paise_within_mrp() -> None:
    for product in _products(20_000):
        assert product.variants
        for variant in product.variants:
            assert isinstance(variant.mrp_paise, int) and isinstance(variant.price_paise, int)
            assert 0 < variant.price_paise <= variant.mrp_paise
            assert variant.mrp_paise % 100 == 0 and variant.price_paise % 100 == 0
            assert str(variant.mrp_paise // 100).endswith("9")


def test_variants_are_shades_or_sizes() -> None:
    for product in _products(5_000):
        shades = [v.shade_hex for v in product.variants if v.shade_hex is not None]
        if shades:
            assert 3 <= len(shades) <= 12 and len(shades) == len(product.variants)
            assert all(re.fullmatch(r"#[0-9A-F]{6}", hex_code) for hex_code in shades)
        else:
            assert 1 <= len(product.variants) <= 3


def test_product_fields_are_well_formed() -> None:
    earliest = REFERENCE_DATE - timedelta(days=2 * 366)
    for product in _products(5_000):
        assert product.created_at.utcoffset() == timedelta(0)
        assert earliest < product.created_at < REFERENCE_DATE
        assert 30 <= product.rating_x10 <= 50
        assert 1 <= len(product.images) <= 4
        assert all(url.startswith(f"https://img.orchid.example/p/{product.slug}/")
                   for url in product.images)
        assert all(1 <= len(values) <= 3 for values in product.attributes.values())
        # The name can hold a dot ("Dr. Meher's", "Co."), so count sentences without it.
        sentences = product.description.replace(product.name, "Name").count(".")
        assert 2 <= sentences <= 3


def test_names_carry_the_words_shoppers_search_for() -> None:
    products = _products(5_000)
    lipsticks = [p.name for p in products if p.category_slug == "lipstick"]
    assert lipsticks and all("Lipstick" in name for name in lipsticks)
    names = " ".join(p.name for p in products)
    for word in ("Niacinamide", "Moisturizer", "Moisturiser", "Kajal", "SPF 50", "Onion Hair Oil",
                 "Eau de Parfum", "Kumkumadi"):
        assert word in names, word


def test_customers_are_unique_and_plausible() -> None:
    customers = list(generate_customers(20_000, 3))
    places = {(city, state) for city, state, *_ in CITIES}
    ranges = {city: (low, high) for city, _, low, high, _ in CITIES}
    assert len({c.email for c in customers}) == len(customers)
    assert len({c.phone for c in customers}) == len(customers)
    for customer in customers:
        assert re.fullmatch(r"\+91[6-9]\d{9}", customer.phone)
        assert customer.email.split("@")[1] in {
            "example.com", "example.in", "mail.example.com", "inbox.example.in",
            "post.example.com",
        }
        assert (customer.city, customer.state) in places
        low, high = ranges[customer.city]
        assert len(customer.pincode) == 6 and low <= int(customer.pincode) <= high
        assert len(customer.name.split()) == 2


def test_measure_100k_products() -> None:
    started = time.perf_counter()
    count = sum(1 for _ in generate_products(100_000, 1))
    print(f"\n100k products generated in {time.perf_counter() - started:.2f} s")
    assert count == 100_000
