"""Load the generated demo data into the databases, with a progress bar."""

from __future__ import annotations

import time
from collections.abc import Iterator

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from orchid.config import Settings
from orchid.platform import Resources
from orchid.seed import data
from orchid.services.accounts import bulk as accounts_bulk
from orchid.services.catalog import bulk as catalog_bulk
from orchid.services.inventory import bulk as inventory_bulk

console = Console(stderr=True)


def _progress() -> Progress:
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TimeElapsedColumn(), console=console, transient=False)


def _published(index: int) -> bool:
    # About 1 product in 50 is a draft, so staff screens and filters have something to show.
    return index % 50 != 49


async def seed_catalog(resources: Resources, *, products: int, seed: int) -> int:
    """Create brands, categories and `products` products with stock; return how many."""
    db = resources.main_db
    skus: list[str] = []

    def remember_skus(rows: Iterator[data.ProductRow]) -> Iterator[data.ProductRow]:
        for row in rows:
            skus.extend(variant.sku for variant in row.variants)
            yield row

    brand_ids = await catalog_bulk.upsert_brands(db, ((b.slug, b.name) for b in data.brands()))
    category_ids = await catalog_bulk.upsert_categories(
        db, ((c.slug, c.name, c.parent_slug) for c in data.categories()))
    with _progress() as progress:
        task = progress.add_task("products", total=products)
        made = await catalog_bulk.insert_products(
            db, remember_skus(data.generate_products(products, seed)), brand_ids=brand_ids,
            category_ids=category_ids, published=_published,
            on_batch=lambda n: progress.advance(task, n))
    await inventory_bulk.seed_stock(resources.warehouse_db, skus, seed=seed)
    return made


async def seed_customers(resources: Resources, *, customers: int, seed: int) -> int:
    """Create `customers` customers with one address each; return how many were created."""
    with _progress() as progress:
        task = progress.add_task("customers", total=customers)
        return await accounts_bulk.insert_customers(
            resources.main_db, data.generate_customers(customers, seed),
            on_batch=lambda n: progress.advance(task, n))


async def seed_demo(settings: Settings, *, products: int, customers: int, seed: int,
                    if_empty: bool = False) -> None:
    """Seed the demo catalog and customers (skipped with `if_empty` when products exist)."""
    resources = Resources.from_settings(settings)
    try:
        if if_empty and await catalog_bulk.count_products(resources.main_db) > 0:
            console.print("catalog already seeded; nothing to do")
            return
        started = time.perf_counter()
        made_products = await seed_catalog(resources, products=products, seed=seed)
        made_customers = await seed_customers(resources, customers=customers, seed=seed)
        console.print(f"seeded {made_products} products and {made_customers} customers "
                      f"in {time.perf_counter() - started:.1f} s (seed {seed})")
    finally:
        await resources.close()
