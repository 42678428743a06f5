"""Small test helpers shared by every test module."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")

BIN_DIR = Path(sys.executable).parent
REPO_ROOT = Path(__file__).resolve().parent.parent
CORPUS_DIR = REPO_ROOT.parent / "shared" / "bpmn-corpus"


async def assert_eventually(
    fn: Callable[[], Awaitable[T]],
    *,
    timeout: float = 15.0,  # noqa: ASYNC109 - a polling deadline, not a cancel scope
    interval: float = 0.1,
) -> T:
    """Retry ``fn`` until it stops raising AssertionError (visibility is eventually consistent)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        try:
            return await fn()
        except AssertionError:
            if asyncio.get_running_loop().time() > deadline:
                raise
        await asyncio.sleep(interval)
