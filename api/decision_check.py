"""Deploy-time check of a process's business rule tasks: the decision each one names is deployed
(docs/dmn.md "Business rule tasks").

What can be known at deploy time is refused then, as a diagnostic (422), not left for an
incident: a decision no deployed DMN file holds, or a version of it that does not exist. What
can only be known later (a DMN file redeployed without the decision) is an incident at run time.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from bpmn_compiler.diagnostics import CompileError, Diagnostic
from shenpi.db.decisions import find_decision_version
from shenpi_core.process_plan import BusinessRuleTask, ProcessPlan


async def check_decisions_deployed(session: AsyncSession, plan: ProcessPlan) -> None:
    """Raise ``CompileError`` naming every business rule task whose decision is not deployed."""
    missing: list[Diagnostic] = []
    for node in plan.nodes:
        if not isinstance(node, BusinessRuleTask):
            continue
        # "deployment" binds what is deployed by now, which is the latest: one check for both.
        version = node.version if node.binding == "version" else None
        if await find_decision_version(session, node.decision_id, version=version) is not None:
            continue
        wanted = f" in version {version}" if version is not None else ""
        missing.append(
            Diagnostic(
                code="decision-not-deployed",
                message=f"decision {node.decision_id!r} is not deployed{wanted}: deploy its DMN"
                " file first",
                element_id=node.id,
                line=node.line,
            )
        )
    if missing:
        raise CompileError(missing)
