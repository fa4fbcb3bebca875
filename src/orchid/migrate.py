"""Apply the Alembic histories (one per database) programmatically.

    upgrade("sqlite+aiosqlite:///.orchid/main.db", "main", migrations_dir)

`upgrade` is synchronous (Alembic drives its own event loop); from async code call it through
`asyncio.to_thread`.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import MetaData, pool
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

DATABASES = ("main", "warehouse")


def alembic_config(url: str, database: str, migrations_dir: Path) -> Config:
    """Build an Alembic config for one database's history."""
    if database not in DATABASES:
        raise ValueError(f"unknown database {database!r}")
    cfg = Config()
    cfg.set_main_option("script_location", str(migrations_dir / database))
    cfg.attributes["url"] = url
    return cfg


def upgrade(url: str, database: str, migrations_dir: Path, revision: str = "head") -> None:
    """Migrate `database` at `url` up to `revision`."""
    command.upgrade(alembic_config(url, database, migrations_dir), revision)


def run_migrations(context: Any, metadata: MetaData) -> None:
    """Body of every env.py: run the pending migrations online over an async engine."""
    url = context.config.attributes.get("url") or context.config.get_main_option("sqlalchemy.url")

    def migrate(connection: Connection) -> None:
        # Batch mode lets ALTERs work on SQLite, which rebuilds tables instead.
        context.configure(connection=connection, target_metadata=metadata,
                          render_as_batch=connection.dialect.name == "sqlite", compare_type=True)
        with context.begin_transaction():
            context.run_migrations()

    async def run() -> None:
        engine = create_async_engine(url, poolclass=pool.NullPool)
        async with engine.connect() as connection:
            await connection.run_sync(migrate)
            await connection.commit()
        await engine.dispose()

    asyncio.run(run())
