"""Index products by (updated_at, id) for search's change feed.

Revision ID: 0005_products_updated_at
Revises: 0004_orders
"""
from __future__ import annotations

from alembic import op

revision = "0005_products_updated_at"
down_revision = "0004_orders"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_products_updated_at", "products", ["updated_at", "id"])


def downgrade() -> None:
    op.drop_index("ix_products_updated_at", table_name="products")
