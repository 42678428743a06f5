"""Serve the built web console at /ui/ (a single-page app: unknown paths get index.html)."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.responses import FileResponse, RedirectResponse, Response

from api.errors import ApiError

CONSOLE_PATH = "/ui/"
# Vite names built assets by content hash, so they can be cached for good; index.html cannot.
_IMMUTABLE = "public, max-age=31536000, immutable"


def install_console(app: FastAPI, dist_dir: Path) -> None:
    """``/`` redirects to the console; ``/ui/...`` serves ``dist_dir`` with an SPA fallback."""
    router = APIRouter(include_in_schema=False)
    root_dir = dist_dir.resolve()

    @router.get("/")
    async def root() -> RedirectResponse:
        return RedirectResponse(CONSOLE_PATH, status_code=307)

    @router.get("/ui")
    async def ui_without_slash() -> RedirectResponse:
        return RedirectResponse(CONSOLE_PATH, status_code=307)

    @router.get("/ui/{path:path}")
    def console_file(path: str) -> Response:  # sync: FastAPI runs it in a thread (file stats)
        return _console_file(root_dir, path)

    app.include_router(router)


def _console_file(root: Path, path: str) -> Response:
    index = root / "index.html"
    if not index.is_file():
        raise ApiError(404, "not_found", f"the console is not built ({root}): run `make console`")
    candidate = (root / path).resolve()
    if path and candidate.is_relative_to(root) and candidate.is_file():
        immutable = candidate.parent.name == "assets"
        headers = {"Cache-Control": _IMMUTABLE if immutable else "no-cache"}
        return FileResponse(candidate, headers=headers)
    if path.startswith("assets/"):
        raise ApiError(404, "not_found", f"no console asset {path!r}")
    # A view of the SPA (/ui/inbox, /ui/instances/x): the app routes it in the browser.
    return FileResponse(index, headers={"Cache-Control": "no-cache"})
