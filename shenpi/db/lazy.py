"""The app database as a worker's activities use it: migrated and connected on first use."""

from __future__ import annotations

import asyncio

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from shenpi.db import migrate
from shenpi.db.engine import create_engine, create_sessionmaker
from shenpi.settings import Settings


class LazyDatabase:
    """Call it for the session factory; ``aclose`` disposes of the engine, if one was made.

    A worker may start before any API replica migrated the database; migrating is idempotent
    (and serialised on PostgreSQL), so the first activity that needs the database does it.
    """

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._engine: AsyncEngine | None = None
        self._sessions: async_sessionmaker[AsyncSession] | None = None
        self._lock = asyncio.Lock()

    async def __call__(self) -> async_sessionmaker[AsyncSession]:
        async with self._lock:
            if self._sessions is None:
                await migrate.upgrade(self._settings)
                self._engine = create_engine(self._settings.resolved_database_url)
                self._sessions = create_sessionmaker(
                    self._engine, self._settings.payload_key_ring()
                )
            return self._sessions

    async def aclose(self) -> None:
        if self._engine is not None:
            await self._engine.dispose()
            self._engine = self._sessions = None
