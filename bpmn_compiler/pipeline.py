"""The compiler pipeline: parse → check → plan, as ``sqlglot.transpile`` composes its passes."""

from __future__ import annotations

from collections.abc import Mapping

from bpmn_compiler.check import check
from bpmn_compiler.diagnostics import CompileError, Diagnostic
from bpmn_compiler.linked_forms import resolve_linked_forms, unresolved_forms
from bpmn_compiler.memo import compile_run
from bpmn_compiler.parse import parse
from bpmn_compiler.plan import plan_sized
from bpmn_compiler.result import CompileResult
from bpmn_compiler.rules_limits import plan_size_problem
from bpmn_compiler.safe_xml import DEFAULT_MAX_BYTES
from shenpi_core.task_forms import DeployedForm


def _ordered(diagnostics: list[Diagnostic]) -> list[Diagnostic]:
    """File-level diagnostics first, then by line; stable, so rule order breaks ties."""
    return sorted(diagnostics, key=lambda d: d.line or 0)


def compile_bpmn(
    xml: bytes,
    *,
    source: str = "<upload>",
    max_bytes: int = DEFAULT_MAX_BYTES,
    forms: Mapping[str, DeployedForm] | None = None,
) -> CompileResult:
    with compile_run():  # check and plan compile the same expressions: parse each once
        model = parse(xml, source=source, max_bytes=max_bytes)
        resolve_linked_forms(model, forms or {})
        diagnostics = _ordered(check(model))
        if any(d.severity == "error" for d in diagnostics):
            raise CompileError(diagnostics)
        planned, canonical_size = plan_sized(model)
    too_large = plan_size_problem(planned, model.process_line, canonical_size=canonical_size)
    if too_large is not None:
        raise CompileError([too_large, *diagnostics])
    return CompileResult(plan=planned, warnings=diagnostics, linked_forms=unresolved_forms(model))
