"""Orders: orders, their lines and their status history.

Revision ID: 0004_orders
Revises: 0003_payments
Create Date: 2025-01-01
"""
from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "0004_orders"
down_revision = "0003_payments"
branch_labels = None
depends_on = None

TABLE_OPTIONS: dict[str, Any] = {"mysql_charset": "utf8mb4", "mysql_collate": "utf8mb4_unicode_ci"}
# UTC without a zone (as orchid.kit.orm.UTCDateTime); microseconds kept on MariaDB, whose
# DATETIME drops them by default, so "newest first" orders two orders of the same second.
TIMESTAMP = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")
# Keys compare byte for byte (a *_ci collation would make "aB" and "Ab" one checkout).
KEY = sa.String(64).with_variant(mysql.VARCHAR(64, charset="ascii", collation="ascii_bin"),
                                 "mysql", "mariadb")
STATUSES = ("status IN ('pending_payment', 'confirmed', 'packed', 'shipped', 'delivered', "
            "'returned', 'refunded', 'cancelled')")


def upgrade() -> None:
    op.create_table(
        "orders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(16), nullable=False),
        sa.Column("customer_id", sa.String(32), nullable=False),
        sa.Column("idempotency_key", KEY, nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("reservation_key", KEY, nullable=False),
        sa.Column("payment_method", sa.String(8), nullable=False),
        sa.Column("subtotal_paise", sa.Integer(), nullable=False),
        sa.Column("shipping_paise", sa.Integer(), nullable=False),
        sa.Column("gst_paise", sa.Integer(), nullable=False),
        sa.Column("total_paise", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("address", sa.JSON(), nullable=False),
        sa.Column("expires_at", TIMESTAMP, nullable=False),
        sa.Column("allocated", sa.Boolean(), nullable=False),
        sa.Column("stock_returned", sa.Boolean(), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_orders")),
        sa.UniqueConstraint("number", name=op.f("uq_orders_number")),
        sa.UniqueConstraint("customer_id", "idempotency_key",
                            name=op.f("uq_orders_customer_id")),
        sa.CheckConstraint(STATUSES, name=op.f("ck_orders_status_known")),
        sa.CheckConstraint("payment_method IN ('cod', 'card')",
                           name=op.f("ck_orders_payment_method_known")),
        sa.CheckConstraint("subtotal_paise >= 0 AND shipping_paise >= 0 AND gst_paise >= 0 "
                           "AND total_paise = subtotal_paise + shipping_paise",
                           name=op.f("ck_orders_money")),
        **TABLE_OPTIONS,
    )
    # Order history newest first; staff queues per status; the sweeper's expired pending.
    op.create_index("ix_orders_customer_id_created_at", "orders",
                    ["customer_id", "created_at", "id"])
    op.create_index("ix_orders_status_created_at", "orders", ["status", "created_at", "id"])
    op.create_index("ix_orders_status_expires_at", "orders", ["status", "expires_at"])
    op.create_table(
        "order_lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("sku", sa.String(40), nullable=False),
        sa.Column("product_slug", sa.String(160), nullable=False),
        sa.Column("product_name", sa.String(200), nullable=False),
        sa.Column("variant_name", sa.String(200), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("unit_price_paise", sa.Integer(), nullable=False),
        sa.Column("unit_mrp_paise", sa.Integer(), nullable=False),
        sa.Column("gst_rate_bp", sa.Integer(), nullable=False),
        sa.Column("gst_paise", sa.Integer(), nullable=False),
        sa.Column("line_total_paise", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_order_lines")),
        sa.ForeignKeyConstraint(["order_id"], ["orders.id"], ondelete="CASCADE",
                                name=op.f("fk_order_lines_order_id_orders")),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_order_lines_quantity_positive")),
        **TABLE_OPTIONS,
    )
    op.create_index(op.f("ix_order_lines_order_id"), "order_lines", ["order_id"])
    op.create_table(
        "order_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("from_status", sa.String(16), nullable=True),
        sa.Column("to_status", sa.String(16), nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("reason", sa.String(200), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_order_events")),
        sa.ForeignKeyConstraint(["order_id"], ["orders.id"], ondelete="CASCADE",
                                name=op.f("fk_order_events_order_id_orders")),
        **TABLE_OPTIONS,
    )
    op.create_index(op.f("ix_order_events_order_id"), "order_events", ["order_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_order_events_order_id"), table_name="order_events")
    op.drop_table("order_events")
    op.drop_index(op.f("ix_order_lines_order_id"), table_name="order_lines")
    op.drop_table("order_lines")
    op.drop_index("ix_orders_status_expires_at", table_name="orders")
    op.drop_index("ix_orders_status_created_at", table_name="orders")
    op.drop_index("ix_orders_customer_id_created_at", table_name="orders")
    op.drop_table("orders")
