"""Alembic environment of the main database (catalog, accounts, …)."""

from __future__ import annotations

import importlib

from alembic import context

from orchid.kit.orm import MainBase
from orchid.migrate import run_migrations

for module in ("orchid.services.catalog.models", "orchid.services.accounts.models",
               "orchid.services.payments.models", "orchid.services.orders.models",
               "orchid.kit.outbox", "orchid.kit.inbox", "orchid.functions.reporting"):
    importlib.import_module(module)  # registers the tables for `alembic revision --autogenerate`

run_migrations(context, MainBase.metadata)
