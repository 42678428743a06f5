"""Re-encrypt what the app database holds sealed under the key ring's current key.

After a rotation (a new key first in ``SHENPI_PAYLOAD_KEYS``), new rows are sealed with the new
key, and old rows stay readable while the old key is in the ring. ``shenpi keys reseal`` seals
every row again with the current key (rows stored in clear too), so the old key can then be
removed from the ring (docs/security.md "Rotating keys"). Rows go in batches of one transaction
each, by primary key, so a large archive never holds one long transaction, and a run that stops
half-way can simply be started again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import InstrumentedAttribute

from shenpi.db.models import AiResult, ArchivedDecision, ArchivedInstance
from shenpi.db.sealing import Sealer, sealer_of

BATCH = 500


@dataclass(frozen=True)
class SealedColumn:
    table: str
    key: InstrumentedAttribute[Any]  # the primary key, for keyset batches
    column: InstrumentedAttribute[Any]
    kind: str  # "json" or "text"


# Every column ``sealing`` seals (shenpi/db/archive.py, shenpi/db/ai_results.py).
SEALED_COLUMNS = (
    SealedColumn("instance_archive", ArchivedInstance.instance_id, ArchivedInstance.state, "json"),
    SealedColumn("archived_decisions", ArchivedDecision.id, ArchivedDecision.comment, "text"),
    SealedColumn("archived_decisions", ArchivedDecision.id, ArchivedDecision.variables, "json"),
    SealedColumn("archived_decisions", ArchivedDecision.id, ArchivedDecision.details, "json"),
    SealedColumn("ai_results", AiResult.result_id, AiResult.transcript, "text"),
)


@dataclass
class Resealed:
    column: str
    rows: int = 0  # sealed again (or sealed for the first time)
    current: int = 0  # already under the current key, or empty


async def reseal(sessions: async_sessionmaker[AsyncSession]) -> list[Resealed]:
    """Seal every sealed column of every row with the current key; the counts per column."""
    report: list[Resealed] = []
    for sealed in SEALED_COLUMNS:
        counts = Resealed(f"{sealed.table}.{sealed.column.key}")
        last: Any = None
        while True:
            async with sessions() as session, session.begin():
                sealer = sealer_of(session)
                if sealer.ring is None:
                    raise ValueError("no key ring is configured: there is nothing to seal with")
                query = select(sealed.key, sealed.column).order_by(sealed.key).limit(BATCH)
                if last is not None:
                    query = query.where(sealed.key > last)
                rows = (await session.execute(query)).all()
                for key, stored in rows:
                    if stored is None or Sealer.key_of(stored) == sealer.ring.current.id:
                        counts.current += 1
                        continue
                    value = _again(sealer, sealed.kind)(stored)
                    await session.execute(
                        update(sealed.column.class_)
                        .where(sealed.key == key)
                        .values({sealed.column.key: value})
                    )
                    counts.rows += 1
            if len(rows) < BATCH:
                break
            last = rows[-1][0]
        report.append(counts)
    return report


def _again(sealer: Sealer, kind: str) -> Callable[[Any], Any]:
    if kind == "json":
        return lambda stored: sealer.seal_json(sealer.open_json(stored))
    return lambda stored: sealer.seal_text(sealer.open_text(stored))
