"""Storing the next version of something deployed (a process, a DMN file, a form), once, under
races; and reading its versions back.

Two deploys racing for the same next version: the unique constraint refuses the loser, which
counts again from a fresh latest version. The same content hash as the latest version stores
nothing and returns that version. A step that must succeed with the version (a process's
Schedules, shenpi/schedules.py) runs between storing it and committing: if it fails, nothing is
stored.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Protocol, TypeVar

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute, undefer

from shenpi_core.limits import MAX_VERSION

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


async def one_version(
    session: AsyncSession,
    model: type[Row],
    key: InstrumentedAttribute[str],
    value: str,
    version: int | None,
    *loaded: InstrumentedAttribute[Any],
) -> Row | None:
    """The row of ``value`` (a process, DMN file or form id) at ``version``, the latest when it
    is None, with its ``loaded`` deferred columns."""
    if version is not None and not 1 <= version <= MAX_VERSION:
        return None  # no such version, and a number the database driver cannot bind
    column: InstrumentedAttribute[int] = getattr(model, "version")  # noqa: B009
    stmt = select(model).where(key == value).options(*(undefer(c) for c in loaded))
    if version is None:
        stmt = stmt.order_by(column.desc()).limit(1)
    else:
        stmt = stmt.where(column == version)
    return (await session.execute(stmt)).scalars().first()


async def latest_versions(
    session: AsyncSession, model: type[Row], key: InstrumentedAttribute[str]
) -> list[Row]:
    """The latest version of every id, ordered by id."""
    column: InstrumentedAttribute[int] = getattr(model, "version")  # noqa: B009
    latest = select(key, func.max(column).label("version")).group_by(key).subquery()
    stmt = (
        select(model)
        .join(latest, (key == latest.c[key.key]) & (column == latest.c.version))
        .order_by(key)
    )
    return list((await session.execute(stmt)).scalars())


async def all_versions(
    session: AsyncSession, model: type[Row], key: InstrumentedAttribute[str], value: str
) -> list[Row]:
    """Every version of one id, newest first."""
    column: InstrumentedAttribute[int] = getattr(model, "version")  # noqa: B009
    stmt = select(model).where(key == value).order_by(column.desc())
    return list((await session.execute(stmt)).scalars())
