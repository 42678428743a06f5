"""The ids a request is about (instance, task, process), set for the request's log lines."""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from shenpi.logs import ids_in_path, request_ids


class RequestIdsMiddleware:
    """Pure ASGI, so the ids are in the context of everything the route runs (and logs)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        token = request_ids.set(ids_in_path(scope["path"]))
        try:
            await self.app(scope, receive, send)
        finally:
            request_ids.reset(token)
