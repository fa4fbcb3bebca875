"""The transactional outbox of the main database (orders, payments, catalog, customers).

Revision ID: 0006_outbox
Revises: 0005_products_updated_at
"""
from __future__ import annotations

from alembic import op

from orchid.kit.outbox_schema import create_outbox, drop_outbox

revision = "0006_outbox"
down_revision = "0005_products_updated_at"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_outbox(op)


def downgrade() -> None:
    drop_outbox(op)
