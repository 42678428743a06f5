"""Deploying Camunda Forms and the processes that link them (docs/compiler.md "Forms").

A ``.form`` file (``POST /definitions`` with its JSON) is stored as the next version of its form
id. A BPMN file whose user tasks link forms by id compiles with the latest deployed version of
each, so the process version pins them (``bpmn_compiler.linked_forms``).
"""

from __future__ import annotations

import asyncio

from sqlalchemy.ext.asyncio import AsyncSession

from api.schemas import DefinitionDeployed
from bpmn_compiler import CompileResult, compile_bpmn
from bpmn_compiler.camunda_forms import compile_form
from shenpi.db import forms


async def deploy_form(
    session: AsyncSession, data: bytes, deployed_by: str
) -> tuple[bool, DefinitionDeployed]:
    """``(created, body)``; raises ``CompileError`` (422) for a file that is not a form."""
    result = await asyncio.to_thread(compile_form, data)
    row, created = await forms.deploy_form(
        session, plan=result.plan, form_json=data.decode("utf-8-sig"), deployed_by=deployed_by
    )
    body = DefinitionDeployed(
        process_id=row.form_id, version=row.version, hash=row.hash, kind="form", fields=row.fields
    )
    return created, body


async def compile_process(session: AsyncSession, xml: bytes) -> CompileResult:
    """The file compiled with the deployed forms it links to. Compiling is CPU-bound: a thread
    keeps the event loop answering other requests."""
    result = await asyncio.to_thread(compile_bpmn, xml, source="<upload>")
    if not result.linked_forms:
        return result
    linked = await forms.linkable_forms(session, result.linked_forms)
    if not linked:
        return result
    return await asyncio.to_thread(compile_bpmn, xml, source="<upload>", forms=linked)
