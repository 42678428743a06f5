"""Diagnostics as text for terminals and CI logs (``shenpi compile``)."""

from __future__ import annotations

from collections.abc import Iterable

from bpmn_compiler.diagnostics import Diagnostic


def format_diagnostic(diagnostic: Diagnostic, *, source: str = "<upload>") -> str:
    """``file:line: error[code] element 'id': message``, as compilers print, so editors link it."""
    where = f"{source}:{diagnostic.line}" if diagnostic.line is not None else source
    element = f" element {diagnostic.element_id!r}" if diagnostic.element_id else ""
    return f"{where}: {diagnostic.severity}[{diagnostic.code}]{element}: {diagnostic.message}"


def format_diagnostics(diags: Iterable[Diagnostic], *, source: str = "<upload>") -> str:
    """One line per diagnostic, then a count, e.g. ``2 errors, 1 warning``."""
    items = list(diags)
    lines = [format_diagnostic(d, source=source) for d in items]
    errors = sum(d.severity == "error" for d in items)
    warnings = len(items) - errors
    lines.append(f"{errors} error{'s' * (errors != 1)}, {warnings} warning{'s' * (warnings != 1)}")
    return "\n".join(lines)
