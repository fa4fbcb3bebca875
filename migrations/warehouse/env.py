"""Alembic environment of the warehouse database (inventory lands here)."""

from __future__ import annotations

from alembic import context

from orchid.kit.orm import WarehouseBase
from orchid.migrate import run_migrations

run_migrations(context, WarehouseBase.metadata)
