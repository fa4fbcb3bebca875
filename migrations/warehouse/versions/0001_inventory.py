"""Inventory: warehouses, stock, reservations and their lines, stock movements.

Revision ID: 0001_inventory
Revises:
Create Date: 2025-01-01
"""
from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "0001_inventory"
down_revision = None
branch_labels = None
depends_on = None

# Hindi and Tamil names need 4-byte-safe text whatever the server's default charset is.
# UTC without a zone; microseconds kept on MariaDB (its DATETIME drops them by default).
TIMESTAMP = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")
TABLE_OPTIONS: dict[str, Any] = {"mysql_charset": "utf8mb4", "mysql_collate": "utf8mb4_unicode_ci"}
# Reservation keys compare byte for byte ("chk_aB" is not "chk_Ab").
KEY = sa.String(64).with_variant(
    mysql.VARCHAR(64, charset="ascii", collation="ascii_bin"), "mysql", "mariadb")
STATUSES = "status IN ('active', 'allocated', 'released', 'expired')"
KINDS = "kind IN ('restock', 'adjust', 'reserve', 'release', 'allocate', 'expire')"


def upgrade() -> None:
    op.create_table(
        "warehouses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(20), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("city", sa.String(100), nullable=False),
        sa.Column("pincode", sa.String(6), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_warehouses")),
        sa.UniqueConstraint("code", name=op.f("uq_warehouses_code")),
        **TABLE_OPTIONS,
    )
    op.create_table(
        "stock",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("warehouse_id", sa.Integer(), nullable=False),
        sa.Column("sku", sa.String(40), nullable=False),
        sa.Column("on_hand", sa.Integer(), nullable=False),
        sa.Column("reserved", sa.Integer(), nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stock")),
        sa.UniqueConstraint("warehouse_id", "sku", name=op.f("uq_stock_warehouse_id")),
        sa.ForeignKeyConstraint(["warehouse_id"], ["warehouses.id"],
                                name=op.f("fk_stock_warehouse_id_warehouses")),
        sa.CheckConstraint("reserved >= 0 AND reserved <= on_hand",
                           name=op.f("ck_stock_reserved_within_on_hand")),
        **TABLE_OPTIONS,
    )
    # Reservations find their rows by SKU across warehouses.
    op.create_index(op.f("ix_stock_sku"), "stock", ["sku"])
    op.create_table(
        "reservations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", KEY, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("expires_at", TIMESTAMP, nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reservations")),
        sa.UniqueConstraint("key", name=op.f("uq_reservations_key")),
        sa.CheckConstraint(STATUSES, name=op.f("ck_reservations_status_known")),
        **TABLE_OPTIONS,
    )
    # The sweeper's query: active reservations past their expiry, oldest first.
    op.create_index(op.f("ix_reservations_status_expires_at"), "reservations",
                    ["status", "expires_at"])
    op.create_table(
        "reservation_lines",
        sa.Column("reservation_id", sa.Integer(), nullable=False),
        sa.Column("stock_id", sa.Integer(), nullable=False),
        sa.Column("sku", sa.String(40), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("reservation_id", "stock_id", name=op.f("pk_reservation_lines")),
        sa.ForeignKeyConstraint(["reservation_id"], ["reservations.id"], ondelete="CASCADE",
                                name=op.f("fk_reservation_lines_reservation_id_reservations")),
        sa.ForeignKeyConstraint(["stock_id"], ["stock.id"],
                                name=op.f("fk_reservation_lines_stock_id_stock")),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_reservation_lines_quantity_positive")),
        **TABLE_OPTIONS,
    )
    op.create_index(op.f("ix_reservation_lines_stock_id"), "reservation_lines", ["stock_id"])
    op.create_table(
        "stock_movements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("stock_id", sa.Integer(), nullable=False),
        sa.Column("sku", sa.String(40), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("delta_on_hand", sa.Integer(), nullable=False),
        sa.Column("delta_reserved", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(200), nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stock_movements")),
        sa.ForeignKeyConstraint(["stock_id"], ["stock.id"],
                                name=op.f("fk_stock_movements_stock_id_stock")),
        sa.CheckConstraint(KINDS, name=op.f("ck_stock_movements_kind_known")),
        **TABLE_OPTIONS,
    )
    op.create_index(op.f("ix_stock_movements_stock_id"), "stock_movements", ["stock_id"])
    # Staff read a SKU's history newest first.
    op.create_index(op.f("ix_stock_movements_sku"), "stock_movements", ["sku", "id"])


def downgrade() -> None:
    op.drop_table("stock_movements")
    op.drop_table("reservation_lines")
    op.drop_table("reservations")
    op.drop_table("stock")
    op.drop_table("warehouses")
