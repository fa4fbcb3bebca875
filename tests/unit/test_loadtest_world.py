"""What the simulated shoppers know: queries, pincodes, cart SKUs, the saved world and pool."""

from __future__ import annotations

import stat
from pathlib import Path

from orchid.loadtest.shoppers import load_pool, save_pool
from orchid.loadtest.world import (
    CART_PRICE_CAP,
    Product,
    Shopper,
    World,
    pincodes,
    search_queries,
)
from orchid.services.accounts.validation import check_pincode

SHOPPER = Shopper("s@bench.orchid.test", "pw-1234567890", "token", "addr-1")


def world() -> World:
    return World(products=[Product("kajal", ["KAJ-1", "KAJ-2"], [19_900, CART_PRICE_CAP + 1]),
                           Product("oud", ["OUD-1"], [900_000])],
                 categories=["makeup", "eyes"], queries=["kajal"], pincodes=["560034"],
                 shoppers=[SHOPPER])


def test_queries_come_from_the_seed_vocabulary_deterministically() -> None:
    queries = search_queries(1)
    assert len(queries) == 200
    assert queries == search_queries(1) != search_queries(2)
    assert "lipstick" in search_queries(1, count=10_000)
    assert all(q.strip() and len(q) <= 200 for q in queries)


def test_pincodes_are_valid_indian_pincodes() -> None:
    codes = pincodes(1)
    assert len(codes) == 100 and codes == pincodes(1)
    assert all(check_pincode(code) == code for code in codes)


def test_carts_get_skus_cheap_enough_for_cash_on_delivery() -> None:
    assert world().cart_skus == ["KAJ-1"]
    expensive = World(products=[Product("oud", ["OUD-1"], [900_000])], categories=[],
                      queries=[])
    assert expensive.cart_skus == ["OUD-1"]  # better than no cart at all


def test_the_world_round_trips_and_is_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "world.json"
    world().save(path)
    assert World.load_from(path) == world()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_the_shopper_pool_file(tmp_path: Path) -> None:
    path = tmp_path / "pool" / "shoppers.json"
    assert load_pool(path) == []
    save_pool(path, "http://127.0.0.1:8000", [SHOPPER])
    assert load_pool(path) == [SHOPPER]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    path.write_text("{not json")
    assert load_pool(path) == []
