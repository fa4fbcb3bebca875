"""Alembic environment of the warehouse database (inventory lands here)."""

from __future__ import annotations

import importlib

from alembic import context

from orchid.kit.orm import WarehouseBase
from orchid.migrate import run_migrations

for module in ("orchid.services.inventory.models", "orchid.kit.outbox"):
    importlib.import_module(module)  # registers the tables
run_migrations(context, WarehouseBase.metadata)
