"""Insert rows unless their primary key is taken: the race-safe "first writer wins" both app
databases support (SQLite and PostgreSQL spell it ``ON CONFLICT DO NOTHING``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import DeclarativeBase


async def insert_new(
    session: AsyncSession, model: type[DeclarativeBase], rows: Sequence[dict[str, Any]]
) -> int:
    """Insert ``rows`` whose key is not in the table yet; how many were new. The caller commits."""
    if not rows:
        return 0
    dialect = session.bind.dialect.name if session.bind is not None else ""
    if dialect == "postgresql":
        statement: Any = postgresql.insert(model).values(list(rows)).on_conflict_do_nothing()
    elif dialect == "sqlite":
        statement = sqlite.insert(model).values(list(rows)).on_conflict_do_nothing()
    else:
        raise NotImplementedError(f"the app database is SQLite or PostgreSQL, not {dialect!r}")
    result = await session.execute(statement)
    return int(getattr(result, "rowcount", 0) or 0)
