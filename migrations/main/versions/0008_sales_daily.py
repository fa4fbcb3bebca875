"""Daily sales per IST day × category × brand × city × payment method (the daily-sales
function, orchid.functions.reporting.SalesDaily), read by reports from the replicas.

Revision ID: 0008_sales_daily
Revises: 0007_processed_events
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "0008_sales_daily"
down_revision = "0007_processed_events"
branch_labels = None
depends_on = None

TIMESTAMP = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")


def upgrade() -> None:
    op.create_table(
        "sales_daily",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("category", sa.String(160), nullable=False),
        sa.Column("brand", sa.String(160), nullable=False),
        sa.Column("city", sa.String(100), nullable=False),
        sa.Column("payment_method", sa.String(8), nullable=False),
        sa.Column("orders", sa.Integer(), nullable=False),
        sa.Column("units", sa.Integer(), nullable=False),
        sa.Column("revenue_paise", sa.BigInteger(), nullable=False),
        sa.Column("reversed_orders", sa.Integer(), nullable=False),
        sa.Column("reversed_units", sa.Integer(), nullable=False),
        sa.Column("reversed_paise", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        # Leads with the day: a report's date range is one range scan of the clustered index.
        sa.PrimaryKeyConstraint("day", "category", "brand", "city", "payment_method",
                                name="pk_sales_daily"),
        mysql_charset="utf8mb4", mysql_collate="utf8mb4_unicode_ci",
    )


def downgrade() -> None:
    op.drop_table("sales_daily")
