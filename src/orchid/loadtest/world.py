"""What the simulated shoppers know before the run: products in stock, categories, queries.

Found through the public API (listing, product pages, availability), never from the database,
so the same discovery works against an embedded `orchid serve` and the full stack's edge.

    with httpx.Client(base_url=url, headers=BROWSER) as client:
        world = discover(client, products=300, seed=1)
"""

from __future__ import annotations

import json
import random
from dataclasses import asdict, dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import httpx

from orchid.seed.vocabulary import BRANDS, CITIES, KEYWORDS, LEAVES
from orchid.services.accounts.schemas import DISPLAY_CURRENCIES

# A phone browser's headers: the edge scores clients without them as bots.
BROWSER = {"User-Agent": "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 "
                         "(KHTML, like Gecko) Chrome/124.0 Mobile Safari/537.36",
           "Accept": "application/json", "Accept-Language": "en-IN,en;q=0.9,hi;q=0.8"}
MIN_AVAILABLE = 3  # a SKU this close to sold out is left to real shoppers
CART_PRICE_CAP = 150_000  # ₹1,500: a few lines stay under the ₹5,000 cash-on-delivery cap
LISTING_SORTS = ("newest", "price_asc", "name", "price_desc")
AVAILABILITY_BATCH = 100
FIRST_SEARCH_TIMEOUT = 600.0  # seconds: it may index a large catalog


class DiscoveryFailed(RuntimeError):
    """The target answered, but not with a catalog a shopper could buy from."""


@dataclass
class Product:
    """A published product with at least one SKU in stock."""

    slug: str
    skus: list[str]  # in stock
    prices: list[int]  # paise, same order


@dataclass
class Shopper:
    """A registered customer with an address, leased to a simulated shopper for a checkout."""

    email: str
    password: str
    token: str
    address_id: str


@dataclass
class World:
    """The shared knowledge of every simulated shopper (written as JSON for the generator)."""

    products: list[Product]
    categories: list[str]
    queries: list[str]
    currencies: list[str] = field(default_factory=lambda: list(DISPLAY_CURRENCIES))
    pincodes: list[str] = field(default_factory=list)
    shoppers: list[Shopper] = field(default_factory=list)

    @cached_property
    def cart_skus(self) -> list[str]:
        """SKUs shoppers put in carts: in stock and cheap enough for cash on delivery (worked
        out once: every add-to-cart task of the generator picks from it)."""
        cheap = [sku for p in self.products for sku, paise in zip(p.skus, p.prices, strict=True)
                 if paise <= CART_PRICE_CAP]
        return cheap or [sku for p in self.products for sku in p.skus]

    def save(self, path: Path) -> None:
        """Write the world as JSON (it holds session tokens: owner-only)."""
        path.write_text(json.dumps(asdict(self)))
        path.chmod(0o600)

    @classmethod
    def load_from(cls, path: Path) -> World:
        """Read a world written by `save`."""
        raw: dict[str, Any] = json.loads(path.read_text())
        raw["products"] = [Product(**p) for p in raw["products"]]
        raw["shoppers"] = [Shopper(**s) for s in raw["shoppers"]]
        return cls(**raw)


def _json(response: httpx.Response) -> Any:
    if response.status_code != 200:
        raise DiscoveryFailed(f"GET {response.request.url} answered {response.status_code}: "
                              f"{response.text[:300]}")
    return response.json()


def _flatten(nodes: list[dict[str, Any]]) -> list[str]:
    return [slug for node in nodes
            for slug in (node["slug"], *_flatten(node.get("children", [])))]


def listed_slugs(client: httpx.Client, *, products: int) -> list[str]:
    """Up to `products` slugs from the listing, taken from several sort orders for variety."""
    slugs: dict[str, None] = {}
    per_sort = -(-products // len(LISTING_SORTS))
    for sort in LISTING_SORTS:
        cursor: str | None = None
        taken = 0
        while taken < per_sort:
            params: dict[str, str | int] = {"limit": min(100, per_sort - taken), "sort": sort}
            if cursor:
                params["cursor"] = cursor
            page = _json(client.get("/api/v1/catalog/products", params=params))
            slugs.update((item["slug"], None) for item in page["items"])
            taken += len(page["items"])
            cursor = page["next_cursor"]
            if not cursor:
                break
    return list(slugs)[:products]


def stocked(client: httpx.Client, skus: list[str]) -> dict[str, int]:
    """Units available per SKU, asking the inventory in batches."""
    out: dict[str, int] = {}
    for start in range(0, len(skus), AVAILABILITY_BATCH):
        batch = skus[start:start + AVAILABILITY_BATCH]
        rows = _json(client.get("/api/v1/inventory/availability",
                                params={"skus": ",".join(batch)}))
        out.update((row["sku"], row["available"]) for row in rows)
    return out


def discover(client: httpx.Client, *, products: int, seed: int) -> World:
    """Find up to `products` products in stock, the categories and the search vocabulary."""
    categories = _flatten(_json(client.get("/api/v1/catalog/categories")))
    pages = [_json(client.get(f"/api/v1/catalog/products/{slug}"))
             for slug in listed_slugs(client, products=products)]
    available = stocked(client, [v["sku"] for page in pages for v in page["variants"]])
    found = []
    for page in pages:
        variants = [v for v in page["variants"] if available.get(v["sku"], 0) >= MIN_AVAILABLE]
        if variants:
            found.append(Product(page["slug"], [v["sku"] for v in variants],
                                 [v["price_paise"] for v in variants]))
    if not found:
        raise DiscoveryFailed(f"none of {len(pages)} listed products has stock; seed a catalog "
                              "(orchid seed --products N) first")
    queries = search_queries(seed)
    # The first search of a process indexes the whole catalog (embedded FTS5): not in a window.
    _json(client.get("/api/v1/search", params={"q": queries[0]}, timeout=FIRST_SEARCH_TIMEOUT))
    return World(products=found, categories=categories, queries=queries,
                 pincodes=pincodes(seed))


def search_queries(seed: int, count: int = 200) -> list[str]:
    """Queries a shopper would type, from the seed vocabulary: product types, actives, brands."""
    types = sorted({t.lower() for leaf in LEAVES.values() for t in leaf.types})
    brands = sorted(b.name for b in BRANDS)
    rng = random.Random(seed)
    pool = [*types, *sorted(KEYWORDS), *brands,
            *(f"{rng.choice(brands)} {rng.choice(types)}" for _ in range(40)),
            *(f"{word} {rng.choice(types)}" for word in rng.sample(sorted(KEYWORDS), 20))]
    rng.shuffle(pool)
    return pool[:count]


def pincodes(seed: int, count: int = 100) -> list[str]:
    """Delivery pincodes of the seed's cities, weighted as the seeded customers are."""
    rng = random.Random(seed)
    cities = rng.choices(CITIES, weights=[c[4] for c in CITIES], k=count)
    return [str(rng.randint(first, last)) for _, _, first, last, _ in cities]
