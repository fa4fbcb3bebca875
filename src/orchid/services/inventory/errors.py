"""Inventory domain errors, each with a stable code.

    NotFound       ├── ReservationNotFound   404 reservation_not_found
                   └── WarehouseNotFound     404 warehouse_not_found
    Conflict       ├── OutOfStock            409 out_of_stock          data: skus
                   ├── ReservationMismatch   409 reservation_mismatch  (same key, other lines)
                   ├── ReservationReleased   409 reservation_released  (allocate after release)
                   ├── ReservationAllocated  409 reservation_allocated (release after allocate)
                   ├── BelowReserved         409 below_reserved        data: reserved
                   └── DuplicateWarehouse    409 duplicate_warehouse
    Unavailable    └── InventoryBusy         503 inventory_busy        (lock conflicts persisted)

Callers in other processes get these back as the base class with the same `code`, so they
compare codes, not classes.
"""

from __future__ import annotations

from orchid.kit.errors import Conflict, NotFound, Unavailable


class ReservationNotFound(NotFound):
    """No reservation has this key."""

    code, title = "reservation_not_found", "Reservation not found"


class WarehouseNotFound(NotFound):
    """No warehouse has this code."""

    code, title = "warehouse_not_found", "Warehouse not found"


class OutOfStock(Conflict):
    """Some SKUs have fewer units available than asked for; nothing was reserved."""

    code, title = "out_of_stock", "Out of stock"


class ReservationMismatch(Conflict):
    """The key was already used for a reservation of other lines."""

    code, title = "reservation_mismatch", "Reservation key reused with other lines"


class ReservationReleased(Conflict):
    """The reservation was released or expired; its stock may be gone."""

    code, title = "reservation_released", "Reservation released"


class ReservationAllocated(Conflict):
    """The reservation's stock has left the warehouse; it can no longer be released."""

    code, title = "reservation_allocated", "Reservation allocated"


class BelowReserved(Conflict):
    """A stock count below the units already promised to customers."""

    code, title = "below_reserved", "Count below reserved units"


class DuplicateWarehouse(Conflict):
    """The warehouse code is taken."""

    code, title = "duplicate_warehouse", "Warehouse code already in use"


class InventoryBusy(Unavailable):
    """Lock conflicts outlasted every retry; the caller may try again shortly."""

    code, title = "inventory_busy", "Inventory busy"
