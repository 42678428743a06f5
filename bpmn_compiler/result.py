"""What a successful compile returns: the plan and the warnings worth showing the author."""

from __future__ import annotations

from dataclasses import dataclass, field

from bpmn_compiler.diagnostics import Diagnostic
from shenpi_core.process_plan import ProcessPlan


@dataclass(frozen=True)
class CompileResult:
    plan: ProcessPlan  # hashed (``with_hash()`` applied)
    warnings: list[Diagnostic] = field(default_factory=list)
    # Ids of deployed forms the file links to that the compile was not given (linked_forms).
    linked_forms: tuple[str, ...] = ()
