"""The transactional outbox of the warehouse database (stock, reservations).

Revision ID: 0002_outbox
Revises: 0001_inventory
"""
from __future__ import annotations

from alembic import op

from orchid.kit.outbox_schema import create_outbox, drop_outbox

revision = "0002_outbox"
down_revision = "0001_inventory"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_outbox(op)


def downgrade() -> None:
    drop_outbox(op)
