"""The ``ai_results`` table: AI reviews by cache key, for the cache, the inbox and callbacks.

Writes are upserts keyed by ``result_id`` (two attempts, or two instances asking the same thing,
leave one row), so storing is safe to repeat. Transcripts are written here and never read on
the hot paths (deferred column); they hold the request as the model saw it, so they are
encrypted with the payload key ring when one is configured (shenpi/db/sealing.py).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import undefer

from shenpi.db.models import AiResult
from shenpi.db.sealing import sealer_of

# What an answer fills in (all empty while a callback job is pending).
ANSWER_COLUMNS = frozenset({"decision", "confidence", "advice", "risk_flags", "result"})


@dataclass(frozen=True)
class StoredAdvice:
    """What the inbox shows of a result besides the memo's decision and confidence."""

    advice: str | None
    risk_flags: list[str]


async def get_result(
    session: AsyncSession, result_id: str, *, with_transcript: bool = False
) -> AiResult | None:
    """The row of one cache key (pending or answered), or None."""
    if not with_transcript:
        return await session.get(AiResult, result_id)
    row = await session.get(AiResult, result_id, options=[undefer(AiResult.transcript)])
    if row is not None:
        session.expunge(row)  # detached: a later flush can never write the clear text back
        row.transcript = sealer_of(session).open_text(row.transcript)
    return row


async def put_result(session: AsyncSession, row: dict[str, Any], *, now: datetime) -> None:
    """Insert or replace the row ``row["result_id"]``; commits.

    A pending row (with the ``job_id`` of a callback job just submitted) never blanks an answered
    one: with the cache off a question is asked again while older tasks still read its advice,
    so on conflict it records only the new job (``job_id``, ``job_started_at``, transcript)."""
    values = {**_sealed(session, row), "updated_at": now}
    kept = ANSWER_COLUMNS if row.get("job_id") is not None else frozenset()
    changes = {k: v for k, v in values.items() if k != "result_id" and k not in kept}
    dialect = session.bind.dialect.name if session.bind is not None else ""
    if dialect == "postgresql":
        stmt: Any = postgresql.insert(AiResult).values({**values, "created_at": now})
    elif dialect == "sqlite":
        stmt = sqlite.insert(AiResult).values({**values, "created_at": now})
    else:
        raise NotImplementedError(f"ai_results supports SQLite and PostgreSQL, not {dialect!r}")
    async with session.begin():
        await session.execute(
            stmt.on_conflict_do_update(index_elements=["result_id"], set_=changes)
        )


async def answer_job(
    session: AsyncSession, result_id: str, job_id: str, changes: dict[str, Any], *, now: datetime
) -> bool:
    """Fill in the answer of callback job ``job_id`` if the row still waits for that job; commits.

    False when it does not (answered already, or waiting for a later job): a replayed or late
    callback then changes nothing."""
    stmt = (
        update(AiResult)
        .where(AiResult.result_id == result_id, AiResult.job_id == job_id)
        .values(**_sealed(session, changes), job_id=None, updated_at=now)
    )
    result: Any = await session.execute(stmt)
    await session.commit()
    return bool(result.rowcount)


def _sealed(session: AsyncSession, values: dict[str, Any]) -> dict[str, Any]:
    if values.get("transcript") is None:
        return values
    return {**values, "transcript": sealer_of(session).seal_text(values["transcript"])}


async def advice_for(session: AsyncSession, result_ids: Collection[str]) -> dict[str, StoredAdvice]:
    """Advice and risk flags of many results in one query (a whole inbox page)."""
    if not result_ids:
        return {}
    stmt = select(AiResult.result_id, AiResult.advice, AiResult.risk_flags).where(
        AiResult.result_id.in_(set(result_ids))
    )
    rows = (await session.execute(stmt)).all()
    return {r.result_id: StoredAdvice(r.advice, list(r.risk_flags or [])) for r in rows}
