"""Alembic environment: async engines, URL from the Shenpi settings unless the caller passes one."""

from __future__ import annotations

import asyncio
from logging.config import fileConfig

from alembic import context
from sqlalchemy import text
from sqlalchemy.engine import Connection

from shenpi.db.engine import create_engine
from shenpi.db.models import Base
from shenpi.settings import Settings

config = context.config
# Programmatic runs (shenpi.db.migrate) pass the URL as an attribute and keep the app's logging.
if config.config_file_name is not None and not config.attributes.get("url"):
    fileConfig(config.config_file_name, disable_existing_loggers=False)

target_metadata = Base.metadata
_LOCK_KEY = 0x5348454E5049  # "SHENPI": the advisory lock serialising migrations on PostgreSQL


def _url() -> str:
    url = config.attributes.get("url")
    return str(url) if url else Settings().resolved_database_url


def _run(connection: Connection) -> None:
    # render_as_batch: SQLite cannot ALTER most things; batch mode copies the table instead.
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        if connection.dialect.name == "postgresql":
            # API replicas start together and each migrates: one at a time, the others then find
            # the database at head. Released at commit.
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK_KEY})
        context.run_migrations()


async def _run_online() -> None:
    engine = create_engine(_url())
    try:
        async with engine.connect() as connection:
            await connection.run_sync(_run)
            await connection.commit()
    finally:
        await engine.dispose()


if context.is_offline_mode():
    context.configure(url=_url(), target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    asyncio.run(_run_online())
