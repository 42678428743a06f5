"""Activity ``shenpi-archive``: store an ended instance's final state in the app database.

Temporal forgets closed executions after the namespace's retention; the archive keeps the audit
trail (timeline included) and the human decisions for as long as the app database lives.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from temporalio import activity

from shenpi.db import migrate
from shenpi.db.archive import archive_instance
from shenpi.db.engine import create_engine, create_sessionmaker
from shenpi.settings import Settings
from workflows.contracts import ACTIVITY_ARCHIVE, ArchiveInput


class ArchiveActivities:
    """Owns the engine of the app database, made on first use; ``aclose`` disposes of it."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._engine: AsyncEngine | None = None
        self._sessions: async_sessionmaker[AsyncSession] | None = None
        self._lock = asyncio.Lock()

    async def _ready(self) -> async_sessionmaker[AsyncSession]:
        # A worker may start before any API replica migrated the database; migrating is
        # idempotent (and serialised on PostgreSQL), so the first archive does it if needed.
        async with self._lock:
            if self._sessions is None:
                await migrate.upgrade(self._settings)
                self._engine = create_engine(self._settings.resolved_database_url)
                self._sessions = create_sessionmaker(self._engine)
            return self._sessions

    @activity.defn(name=ACTIVITY_ARCHIVE)
    async def archive(self, input: ArchiveInput) -> None:
        """Upsert by instance id: a retried attempt or a repeated archive has one effect."""
        sessions = await self._ready()
        async with sessions() as session:
            await archive_instance(
                session, input.instance_id, input.state, archived_at=datetime.now(UTC)
            )

    async def aclose(self) -> None:
        if self._engine is not None:
            await self._engine.dispose()
