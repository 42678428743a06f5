"""Heartbeats in the background while an activity works, so a dead worker is noticed in seconds.

An activity scheduled with a ``heartbeat_timeout`` (``workflows/services.py``) is retried that long
after its worker stops heartbeating, instead of at its start-to-close timeout (minutes). A long
call (an HTTP request, a WeChat send, a page of OCR) would outlast that timeout if the activity
only heartbeated between calls, so :func:`heartbeating` (async activities) and
:func:`heartbeating_thread` (sync ones, on a thread or process pool) beat on a timer meanwhile.

Each beat repeats the activity's latest details: Temporal keeps only the last heartbeat's details
for the next attempt, and a bare background beat would erase progress recorded there (what
``notify`` has delivered). :meth:`Beat.save` records new details and sends them at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import threading
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from typing import Any

from temporalio import activity

# The worker sends heartbeats to the server at most this often (``worker.py``); a beat every
# second keeps one ready for each send.
BEAT_EVERY = timedelta(seconds=1)


class Beat:
    """The details each heartbeat carries; starts from what the previous attempt left."""

    def __init__(self) -> None:
        self._details: tuple[Any, ...] = tuple(activity.info().heartbeat_details)

    @property
    def details(self) -> tuple[Any, ...]:
        return self._details

    def save(self, *details: Any) -> None:
        """Record ``details`` for the next attempt, now (not at the next background beat)."""
        self._details = details
        activity.heartbeat(*details)

    def beat(self) -> None:
        activity.heartbeat(*self._details)


def _interval() -> float | None:
    """Seconds between beats; None when the activity has no heartbeat timeout (nobody listens)."""
    timeout = activity.info().heartbeat_timeout
    if not timeout:
        return None
    return min(BEAT_EVERY, timeout / 3).total_seconds()


@contextlib.asynccontextmanager
async def heartbeating() -> AsyncIterator[Beat]:
    """``async with heartbeating() as beat:`` beats in this event loop until the block ends."""
    beat = Beat()
    every = _interval()
    if every is None:
        yield beat
        return

    async def loop() -> None:
        while True:
            beat.beat()
            await asyncio.sleep(every)

    task = asyncio.create_task(loop())
    try:
        yield beat
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


@contextlib.contextmanager
def heartbeating_thread() -> Iterator[Beat]:
    """``with heartbeating_thread() as beat:`` for a sync activity: a daemon thread beats.

    The thread runs in a copy of this thread's context, where the SDK keeps the activity's
    heartbeat function (thread-safe for thread and process pools alike).
    """
    beat = Beat()
    every = _interval()
    if every is None:
        yield beat
        return
    stop = threading.Event()

    def loop() -> None:
        while not stop.is_set():
            beat.beat()
            stop.wait(every)

    context = contextvars.copy_context()
    thread = threading.Thread(target=context.run, args=(loop,), name="heartbeat", daemon=True)
    thread.start()
    try:
        yield beat
    finally:
        stop.set()
        thread.join()
