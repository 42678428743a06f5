"""Storing the next version of something deployed (a process, a DMN file), once, under races.

Two deploys racing for the same next version: the unique constraint refuses the loser, which
counts again from a fresh latest version. The same content hash as the latest version stores
nothing and returns that version. A step that must succeed with the version (a process's
Schedules, shenpi/schedules.py) runs between storing it and committing: if it fails, nothing is
stored.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Protocol, TypeVar

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

RACE_RETRIES = 5


class Versioned(Protocol):
    version: int
    hash: str


Row = TypeVar("Row", bound=Versioned)


async def store_next_version(
    session: AsyncSession,
    content_hash: str,
    latest: Callable[[], Awaitable[Row | None]],
    build: Callable[[int], Row],
    before_commit: Callable[[Row, Row | None], Awaitable[None]] | None = None,
) -> tuple[Row, bool]:
    """``(row, created)``: ``build(version)`` stored as the version after ``latest()``.

    ``before_commit(row, replaced)`` runs once the row holds its version, before the commit."""
    for attempt in range(RACE_RETRIES):
        current = await latest()
        if current is not None and current.hash == content_hash:
            return current, False
        row = build((current.version if current else 0) + 1)
        session.add(row)
        try:
            await session.flush()  # a racing deploy's version is refused here, before the step
            if before_commit is not None:
                await before_commit(row, current)
            await session.commit()
        except IntegrityError:
            await session.rollback()
            if attempt == RACE_RETRIES - 1:
                raise
            continue
        except BaseException:
            await session.rollback()
            raise
        return row, True
    raise AssertionError("unreachable")
