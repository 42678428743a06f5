"""Async engines and sessions for the app database (SQLite by default, PostgreSQL in compose)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from shenpi.db.sealing import session_info
from shenpi.payload_keys import KeyRing


def create_engine(url: str) -> AsyncEngine:
    """An async engine; on SQLite, create the file's directory and switch the journal to WAL."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_async_engine(url, pool_pre_ping=True)
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_async_engine(url)
    event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets the API read while a deploy writes; busy_timeout makes concurrent writers (API
    # replicas, a CLI deploy) wait for the lock instead of failing at once.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def create_sessionmaker(
    engine: AsyncEngine, ring: KeyRing | None = None
) -> async_sessionmaker[AsyncSession]:
    """Sessions whose repositories encrypt request content with ``ring`` (shenpi/db/sealing.py)."""
    # Objects stay readable after commit: routes build their response from them.
    return async_sessionmaker(engine, expire_on_commit=False, info=session_info(ring))
