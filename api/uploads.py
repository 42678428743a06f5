"""Bounded request bodies: refuse oversized uploads without holding them in memory."""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import Request
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import ApiError, error_response


def _too_large(limit: int) -> ApiError:
    return ApiError(
        413,
        "too_large",
        f"the body exceeds the limit of {limit} bytes",
        details={"limit_bytes": limit},
    )


async def read_bounded_body(request: Request, limit: int) -> bytes:
    """The whole body if it has at most ``limit`` bytes; else 413 after reading at most limit+1.

    A declared Content-Length over the limit is refused before reading anything (curl's
    ``Expect: 100-continue`` then never even sends the body); a chunked or lying body is cut off
    as soon as it passes the limit.
    """
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise _too_large(limit)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _too_large(limit)
        chunks.append(chunk)
    return b"".join(chunks)


class BodyLimitMiddleware:
    """Caps every request body at ``limit`` bytes, answering 413 in the API's error shape.

    Paths under ``exempt`` bound their bodies themselves (BPMN uploads have their own setting).
    """

    def __init__(self, app: ASGIApp, limit: int, exempt: Sequence[str] = ()) -> None:
        self.app = app
        self.limit = limit
        self.exempt = tuple(exempt)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(self.exempt):
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > self.limit:
            error = _too_large(self.limit)
            await error_response(error.status, error.code, error.message, error.details)(
                scope, receive, send
            )
            return
        received = 0

        async def bounded_receive() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.limit:
                # FastAPI turns errors while reading a body into a 400, except HTTPException.
                raise HTTPException(413, f"the body exceeds the limit of {self.limit} bytes")
            return message

        await self.app(scope, bounded_receive, send)
