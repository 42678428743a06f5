"""Diagnostics: what the compiler says about a BPMN file, each pinned to an element and a line."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict


class Diagnostic(BaseModel):
    model_config = ConfigDict(frozen=True)

    code: str  # stable, kebab-case, e.g. "unsupported-element", "condition-syntax"
    message: str
    element_id: str | None = None
    line: int | None = None
    severity: Literal["error", "warning"] = "error"


class CompileError(Exception):
    """Raised once with *all* error diagnostics of a file (and its warnings, for context)."""

    def __init__(self, diagnostics: list[Diagnostic]) -> None:
        self.diagnostics = diagnostics
        errors = [d for d in diagnostics if d.severity == "error"]
        first = errors[0].message if errors else "compile failed"
        super().__init__(f"{len(errors)} error(s): {first}")
