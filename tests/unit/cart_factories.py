"""Shared set-up of the cart tests: one kajal in two shades, in stock in one warehouse."""

from __future__ import annotations

from orchid.services.inventory.schemas import WarehouseCreate
from orchid.services.registry import Services
from tests.unit.catalog_factories import product_create, seed_taxonomy

KAJAL, KOHL = "KAJAL-1", "KAJAL-2"  # ₹499 (MRP ₹599) and ₹299 (MRP ₹299)


async def stock_kajal(services: Services, *, quantity: int) -> Services:
    """Create the kajal in two shades and stock `quantity` of each in BLR-1."""
    await seed_taxonomy(services.catalog)
    await services.catalog.create_product(data=product_create(
        "kajal", prices=[(49900, 59900), (29900, 29900)]))
    await services.inventory.create_warehouse(data=WarehouseCreate(
        code="BLR-1", name="Bengaluru FC", city="Bengaluru", pincode="560001"))
    for sku in (KAJAL, KOHL):
        await services.inventory.restock(warehouse_code="BLR-1", sku=sku, quantity=quantity,
                                         actor="cus_staff", note="PO-1")
    return services
