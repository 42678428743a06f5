"""Activity ``shenpi-archive``: store an ended instance's final state in the app database.

Temporal forgets closed executions after the namespace's retention; the archive keeps the audit
trail (timeline included) and the human decisions for as long as the app database lives.
"""

from __future__ import annotations

from datetime import UTC, datetime

from temporalio import activity

from activities.heartbeat import heartbeating
from shenpi.db.archive import archive_instance
from shenpi.db.lazy import LazyDatabase
from shenpi.settings import Settings
from shenpi_core.contracts import ACTIVITY_ARCHIVE, ArchiveInput


class ArchiveActivities:
    """Owns the engine of the app database, made on first use; ``aclose`` disposes of it."""

    def __init__(self, settings: Settings) -> None:
        self._database = LazyDatabase(settings)

    @activity.defn(name=ACTIVITY_ARCHIVE)
    async def archive(self, input: ArchiveInput) -> None:
        """Upsert by instance id: a retried attempt or a repeated archive has one effect."""
        # A busy database may hold the upsert for seconds: beat meanwhile, so that only a dead
        # worker's attempt is retried early.
        async with heartbeating():
            sessions = await self._database()
            async with sessions() as session:
                await archive_instance(
                    session, input.instance_id, input.state, archived_at=datetime.now(UTC)
                )

    async def aclose(self) -> None:
        await self._database.aclose()
