"""Whether the Alembic history made the tables the models describe."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import MetaData
from sqlalchemy.engine import Connection

from orchid.kit.db import Database


async def schema_differences(db: Database, metadata: MetaData, tables: set[str]) -> list[Any]:
    """What Alembic's autogenerate would change in `tables` of the migrated `db` ([] = none)."""

    def mine(obj: Any, name: str | None, kind: str, *_: Any) -> bool:
        owner = obj.table.name if kind in ("index", "column", "unique_constraint") else name
        return owner in tables

    def differences(connection: Connection) -> list[Any]:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "include_object": mine})
        return list(compare_metadata(context, metadata))

    async with db.primary.engine.connect() as connection:
        return await connection.run_sync(differences)
