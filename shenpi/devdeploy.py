"""Deploy BPMN, DMN and form files to a running API over HTTP (`shenpi deploy`, `shenpi dev`).

Going through ``POST /api/v1/definitions`` rather than the compiler directly means a file deployed
by `shenpi dev` is stored exactly as an upload would be: same hash, same version, same checks.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from pydantic import ValidationError

from bpmn_compiler.cli_support import format_diagnostic
from bpmn_compiler.diagnostics import Diagnostic

DEFINITIONS_PATH = "/api/v1/definitions"


class DeployError(RuntimeError):
    """The API refused a file; ``details`` holds its diagnostics when it gave any."""

    def __init__(self, path: Path, status: int, message: str, details: Any = None) -> None:
        self.path = path
        self.status = status
        self.details = details
        super().__init__(f"{path}: HTTP {status}: {message}")

    def detail_lines(self) -> list[str]:
        """The diagnostics (or other details) of the refusal, one printable line each."""
        details = self.details if isinstance(self.details, list) else [self.details]
        return [diagnostic_text(d, self.path) for d in details if d is not None]


@dataclass(frozen=True)
class Deployed:
    path: Path
    process_id: str
    version: int
    hash: str
    created: bool  # False: this exact content was already deployed (HTTP 200, same version)
    warnings: tuple[str, ...] = ()


def definition_files(directory: Path) -> list[Path]:
    """The forms, DMN files and processes of a folder: forms and decisions first, so a process
    that links a form or calls a decision finds it deployed; each kind sorted, so versions are
    assigned in a stable order."""
    return [
        path
        for suffix in ("*.form", "*.dmn", "*.bpmn")
        for path in sorted(p for p in directory.glob(suffix) if p.is_file())
    ]


def _content_type(path: Path) -> str:
    return "application/json" if path.suffix == ".form" else "application/xml"


def decisions_first(paths: Iterable[Path]) -> list[Path]:
    """``paths`` with the forms, then the DMN files first, otherwise in order: a process whose
    business rule task calls a decision is refused unless its DMN file is deployed
    (docs/dmn.md), and one that links a form takes the form deployed when it is."""
    listed = list(paths)
    rank = {".form": 0, ".dmn": 1}
    return sorted(listed, key=lambda p: rank.get(p.suffix, 2))  # stable: otherwise in order


def _error_of(response: httpx.Response) -> tuple[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return response.text[:500] or response.reason_phrase, None
    err = body.get("error", {}) if isinstance(body, dict) else {}
    if not isinstance(err, dict):
        return str(body)[:500], None
    return str(err.get("message", response.reason_phrase)), err.get("details")


def diagnostic_text(value: Any, path: Path) -> str:
    """A diagnostic from the API as a compiler prints it (``file:line: error[code] ...``), so
    editors and CI logs link it; anything else as it came."""
    try:
        return format_diagnostic(Diagnostic.model_validate(value), source=path.name)
    except ValidationError:
        return str(value)


async def deploy_file(http: httpx.AsyncClient, path: Path) -> Deployed:
    response = await http.post(
        DEFINITIONS_PATH,
        content=await asyncio.to_thread(path.read_bytes),
        headers={"Content-Type": _content_type(path)},
    )
    if response.status_code not in (200, 201):
        message, details = _error_of(response)
        raise DeployError(path, response.status_code, message, details)
    body = response.json()
    return Deployed(
        path=path,
        process_id=body["process_id"],
        version=int(body["version"]),
        hash=body.get("hash", ""),
        created=response.status_code == 201,
        warnings=tuple(diagnostic_text(w, path) for w in body.get("warnings", [])),
    )


async def deploy_files(
    base_url: str, token: str, paths: Iterable[Path], *, http_timeout: float = 30.0
) -> list[Deployed]:
    """Deploy each file in order; the first refusal raises ``DeployError``."""
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=base_url, headers=headers, timeout=http_timeout) as http:
        return [await deploy_file(http, path) for path in paths]


def describe(deployed: Sequence[Deployed]) -> str:
    """`purchase-approval v1 (new), leave-request v1 (unchanged)`."""
    return ", ".join(
        f"{d.process_id} v{d.version} ({'new' if d.created else 'unchanged'})" for d in deployed
    )
