"""Inventory tables in the warehouse database: warehouses, stock, reservations, movements."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.dialects import mysql
from sqlalchemy.orm import Mapped, mapped_column

from orchid.kit.orm import UTCDateTime, WarehouseBase, utcnow

CODE_LENGTH, NAME_LENGTH, SKU_LENGTH, KEY_LENGTH = 20, 200, 40, 64
REFERENCE_LENGTH, ACTOR_LENGTH = 200, 64
# Hindi and Tamil names need 4-byte-safe text whatever the server's default charset is.
TABLE_OPTIONS = {"mysql_charset": "utf8mb4", "mysql_collate": "utf8mb4_unicode_ci"}

# Keys are compared byte for byte: a case-insensitive collation would make "chk_aB" and
# "chk_Ab" the same reservation.
KEY_TYPE = String(KEY_LENGTH).with_variant(
    mysql.VARCHAR(KEY_LENGTH, charset="ascii", collation="ascii_bin"), "mysql", "mariadb")

ReservationStatus = Literal["active", "allocated", "released", "expired"]
MovementKind = Literal["restock", "adjust", "reserve", "release", "allocate", "expire"]
STATUSES = ("active", "allocated", "released", "expired")
KINDS = ("restock", "adjust", "reserve", "release", "allocate", "expire")


def _one_of(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Warehouse(WarehouseBase):
    """A place stock is kept and shipped from."""

    __tablename__ = "warehouses"
    __table_args__ = (TABLE_OPTIONS,)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(CODE_LENGTH), unique=True)
    name: Mapped[str] = mapped_column(String(NAME_LENGTH))
    city: Mapped[str] = mapped_column(String(100))
    pincode: Mapped[str] = mapped_column(String(6))
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Stock(WarehouseBase):
    """How many units of one SKU a warehouse holds, and how many of them are promised."""

    __tablename__ = "stock"
    __table_args__ = (
        UniqueConstraint("warehouse_id", "sku"),
        # Reservations find their rows by SKU across warehouses.
        Index("ix_stock_sku", "sku"),
        CheckConstraint("reserved >= 0 AND reserved <= on_hand", name="reserved_within_on_hand"),
        TABLE_OPTIONS,
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouses.id"))
    sku: Mapped[str] = mapped_column(String(SKU_LENGTH))
    on_hand: Mapped[int] = mapped_column(Integer, default=0)
    reserved: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    @property
    def available(self) -> int:
        """Units that can still be promised."""
        return self.on_hand - self.reserved


class Reservation(WarehouseBase):
    """Stock held for one checkout under an idempotency key until allocated or let go."""

    __tablename__ = "reservations"
    __table_args__ = (
        # The sweeper's query: active reservations past their expiry, oldest first.
        Index("ix_reservations_status_expires_at", "status", "expires_at"),
        CheckConstraint(_one_of("status", STATUSES), name="status_known"),
        TABLE_OPTIONS,
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(KEY_TYPE, unique=True)
    status: Mapped[ReservationStatus] = mapped_column(String(16), default="active")
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class ReservationLine(WarehouseBase):
    """The units of one SKU a reservation holds in one warehouse's stock row."""

    __tablename__ = "reservation_lines"
    __table_args__ = (CheckConstraint("quantity > 0", name="quantity_positive"), TABLE_OPTIONS)

    reservation_id: Mapped[int] = mapped_column(
        ForeignKey("reservations.id", ondelete="CASCADE"), primary_key=True)
    stock_id: Mapped[int] = mapped_column(ForeignKey("stock.id"), primary_key=True, index=True)
    sku: Mapped[str] = mapped_column(String(SKU_LENGTH))
    quantity: Mapped[int] = mapped_column(Integer)


class StockMovement(WarehouseBase):
    """One change to a stock row, kept forever as the audit trail."""

    __tablename__ = "stock_movements"
    __table_args__ = (
        # Staff read a SKU's history newest first.
        Index("ix_stock_movements_sku", "sku", "id"),
        CheckConstraint(_one_of("kind", KINDS), name="kind_known"),
        TABLE_OPTIONS,
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    stock_id: Mapped[int] = mapped_column(ForeignKey("stock.id"), index=True)
    sku: Mapped[str] = mapped_column(String(SKU_LENGTH))
    kind: Mapped[MovementKind] = mapped_column(String(16))
    delta_on_hand: Mapped[int] = mapped_column(Integer, default=0)
    delta_reserved: Mapped[int] = mapped_column(Integer, default=0)
    reference: Mapped[str] = mapped_column(String(REFERENCE_LENGTH), default="")
    actor: Mapped[str] = mapped_column(String(ACTOR_LENGTH))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
