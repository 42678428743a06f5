"""Deploy a DMN file (``POST /definitions`` with DMN XML): compile, check that its decision ids
are its own, store the next version of its graph (docs/dmn.md)."""

from __future__ import annotations

import asyncio

from sqlalchemy.ext.asyncio import AsyncSession

from api.schemas import DefinitionDeployed
from bpmn_compiler.diagnostics import CompileError, Diagnostic
from bpmn_compiler.dmn import compile_dmn
from shenpi.db import decisions


async def deploy_dmn(
    session: AsyncSession, xml: bytes, deployed_by: str
) -> tuple[bool, DefinitionDeployed]:
    """``(created, body)``; raises ``CompileError`` (422) for a file that does not compile or
    holds a decision id another deployed graph already holds."""
    result = await asyncio.to_thread(compile_dmn, xml, source="<upload>")
    plan = result.plan
    owners = await decisions.decision_owners(
        session, [d.id for d in plan.decisions], besides=plan.id
    )
    if owners:
        raise CompileError(
            [
                Diagnostic(
                    code="dmn-ambiguous-decision",
                    message=f"decision {decision_id!r} is already deployed in {owner!r}: "
                    "a decision id names one decision",
                    element_id=decision_id,
                )
                for decision_id, owner in sorted(owners.items())
            ]
        )
    warnings = [w.model_dump(mode="json") for w in result.warnings]
    row, created = await decisions.deploy_decisions(
        session, plan=plan, dmn_xml=xml, warnings=warnings, deployed_by=deployed_by
    )
    body = DefinitionDeployed(
        process_id=row.decision_requirements_id,
        version=row.version,
        hash=row.hash,
        warnings=[Diagnostic.model_validate(w) for w in row.warnings],
        kind="dmn",
        decisions=list(row.decision_ids),
    )
    return created, body
