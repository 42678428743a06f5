"""The form each task of an instance shows, from its process version's plan (docs/api.md)."""

from __future__ import annotations

import json

from sqlalchemy.ext.asyncio import AsyncSession

from api.form_schemas import TaskWithForm
from shenpi.db import forms, repository
from shenpi_core.process_plan import UserTask
from shenpi_core.task_forms import TaskForm


async def with_forms(
    session: AsyncSession, process_id: str, version: int, tasks: list[TaskWithForm]
) -> list[TaskWithForm]:
    """``tasks`` with their forms set."""
    if not tasks:
        return tasks
    by_node = await _forms(session, process_id, version)
    return [t.model_copy(update={"form": by_node.get(t.node_id)}) for t in tasks]


async def _forms(session: AsyncSession, process_id: str, version: int) -> dict[str, TaskForm]:
    definition = await repository.get_definition(session, process_id, version)
    if definition is None:
        return {}
    plan = repository.load_plan(definition)
    found = {n.id: n.form for n in plan.nodes if isinstance(n, UserTask) and n.form is not None}
    for node_id, form in found.items():
        if form.form_id is None or form.camunda_form is not None:
            continue
        # Linked by id, but not deployed when the process was: shown as deployed now. Decisions
        # still write only what the plan declares (docs/compiler.md "Forms").
        row = await forms.get_form(session, form.form_id)
        if row is not None:
            update = {"camunda_form": json.loads(row.form_json), "form_version": row.version}
            found[node_id] = form.model_copy(update=update)
    return found
