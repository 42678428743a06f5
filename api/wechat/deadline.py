"""WeChat's 5-second rule as one deadline per callback, shared by every step that may wait.

WeChat drops an answer after 5 s and delivers the message again; the callback answers by
:data:`CALLBACK_SECONDS` (the rest is the network's). Each step gets what remains, capped by its
own limit, so a slow step (a busy database, a slow visibility query) leaves the later ones less
time instead of pushing the answer past the window.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")

CALLBACK_SECONDS = 4.5
DB_WAIT_SECONDS = 3.0  # SQLite waits up to busy_timeout (5 s) for a writer: never that long here

# Writes given up on keep running (their result is no longer awaited); held so they finish.
_abandoned: set[asyncio.Future[Any]] = set()


@dataclass(frozen=True)
class Deadline:
    at: float  # time.monotonic()

    @classmethod
    def start(cls, seconds: float = CALLBACK_SECONDS) -> Deadline:
        return cls(time.monotonic() + seconds)

    def remaining(self, *, cap: float | None = None, reserve: float = 0.0) -> float:
        """Seconds left, less ``reserve`` (kept for later steps), at most ``cap``; never < 0."""
        left = max(0.0, self.at - time.monotonic() - reserve)
        return left if cap is None else min(left, cap)


async def bounded_db(deadline: Deadline, work: Callable[[], Awaitable[T]]) -> T:
    """Run a database step for at most what the deadline leaves (and :data:`DB_WAIT_SECONDS`);
    raises ``TimeoutError`` past it. The step is not cancelled but left to finish on its own: a
    cancelled SQLite call still blocks its connection, and closing the session would wait."""
    task: asyncio.Future[T] = asyncio.ensure_future(work())
    try:
        return await asyncio.wait_for(asyncio.shield(task), deadline.remaining(cap=DB_WAIT_SECONDS))
    except TimeoutError:
        _abandoned.add(task)
        task.add_done_callback(_forget)
        raise


def _forget(task: asyncio.Future[Any]) -> None:
    _abandoned.discard(task)
    if not task.cancelled() and task.exception() is not None:
        log.warning("a WeChat callback's database step failed late: %r", task.exception())
