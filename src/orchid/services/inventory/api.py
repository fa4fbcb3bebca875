"""Inventory HTTP routes: public availability and staff stock management.

Reservations are not routes: checkout reaches them through the service interface only.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, status

from orchid.kit.errors import problems
from orchid.services.accounts.deps import StaffUser
from orchid.services.inventory.schemas import (
    Adjustment,
    Availability,
    AvailabilityQuery,
    MovementQuery,
    MovementRead,
    Restock,
    StockRead,
    WarehouseCreate,
    WarehouseRead,
)
from orchid.services.inventory.service import InventoryService

router = APIRouter(prefix="/api/v1/inventory", tags=["inventory"])


async def get_inventory(request: Request) -> InventoryService:
    """Return the inventory as placed in this process (local or remote)."""
    inventory: InventoryService = request.app.state.services.inventory
    return inventory


InventoryDep = Annotated[InventoryService, Depends(get_inventory)]

STAFF = {401: "Not logged in", 403: "Not staff"}
INVALID = "The input did not validate"


@router.get("/availability", responses=problems({422: "Bad SKUs, or more than 100"}))
async def availability(inventory: InventoryDep,
                       query: Annotated[AvailabilityQuery, Query()]) -> list[Availability]:
    """Return units available per SKU (`?skus=A,B`); unknown SKUs have none."""
    return await inventory.availability(skus=query.skus)


@router.get("/warehouses", responses=problems(STAFF))
async def list_warehouses(inventory: InventoryDep, _staff: StaffUser) -> list[WarehouseRead]:
    """Return every warehouse (staff)."""
    return await inventory.list_warehouses()


@router.post("/warehouses", status_code=status.HTTP_201_CREATED,
             responses=problems(STAFF | {409: "Code taken", 422: INVALID}))
async def create_warehouse(inventory: InventoryDep, _staff: StaffUser,
                           data: WarehouseCreate) -> WarehouseRead:
    """Create a warehouse (staff)."""
    return await inventory.create_warehouse(data=data)


@router.post("/restock", responses=problems(STAFF | {404: "No such warehouse", 422: INVALID}))
async def restock(inventory: InventoryDep, staff: StaffUser, data: Restock) -> StockRead:
    """Add received units to a warehouse's stock (staff)."""
    return await inventory.restock(warehouse_code=data.warehouse_code, sku=data.sku,
                                   quantity=data.quantity, actor=staff.customer_id,
                                   note=data.note)


@router.post("/adjust", responses=problems(
    STAFF | {404: "No such warehouse", 409: "Below the reserved units", 422: INVALID}))
async def adjust(inventory: InventoryDep, staff: StaffUser, data: Adjustment) -> StockRead:
    """Set a warehouse's counted units on hand (staff)."""
    return await inventory.adjust(warehouse_code=data.warehouse_code, sku=data.sku,
                                  on_hand=data.on_hand, actor=staff.customer_id, note=data.note)


@router.get("/movements", responses=problems(STAFF | {422: INVALID}))
async def movements(inventory: InventoryDep, _staff: StaffUser,
                    query: Annotated[MovementQuery, Query()]) -> list[MovementRead]:
    """Return a SKU's stock movements, newest first (staff)."""
    return await inventory.movements(sku=query.sku, limit=query.limit)
