"""Small test helpers shared by every test module."""

from __future__ import annotations

import asyncio
import socket
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, Literal, TypeVar

import pytest

from bpmn_compiler import BUILD as COMPILER_BUILD

T = TypeVar("T")

BIN_DIR = Path(sys.executable).parent
REPO_ROOT = Path(__file__).resolve().parent.parent
CORPUS_DIR = REPO_ROOT.parent / "shared" / "bpmn-corpus"
# CI has the corpus beside the repository; a clone elsewhere does not, and its tests then skip.
requires_corpus = pytest.mark.skipif(
    not CORPUS_DIR.is_dir(), reason=f"the BPMN corpus is not at {CORPUS_DIR}"
)

# A test that patches a function of the compiler to compare two ways of compiling: calls between
# compiled modules are bound when they are built and never see a patch, so such a test runs on
# the Python sources only (`make test` runs tests/compiler a second time on them; §7 of
# docs/architecture.md).
patches_the_compiler = pytest.mark.skipif(
    COMPILER_BUILD.compiled,
    reason="patches the compiler, which its compiled build cannot see: SHENPI_PURE_COMPILER=1",
)


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


@asynccontextmanager
async def serve_asgi(
    app: Any, *, lifespan: Literal["on", "off"] = "on", force_exit: bool = False
) -> AsyncIterator[str]:
    """Serve an ASGI app with uvicorn on a free localhost port, in this loop; yields its base URL.

    ``force_exit``: do not wait for requests still being answered (a slow fake model) at the end.
    """
    import uvicorn

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))  # the kernel picks the port: no races between parallel runs
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan=lifespan))
    task = asyncio.create_task(server.serve(sockets=[sock]))

    async def started() -> None:
        if task.done():
            task.result()  # start-up failed: raise its error instead of waiting
        assert server.started

    try:
        await assert_eventually(started, timeout=30)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        server.force_exit = force_exit
        await task
        sock.close()
