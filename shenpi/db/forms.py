"""Queries on deployed Camunda Forms (``form_definitions``), versioned by form id like processes.

A process links a form by id; its deploy resolves the latest version (``bpmn_compiler.
linked_forms``), so each process version pins the forms it shows.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from shenpi.db.models import FormDefinition
from shenpi.db.versions import all_versions, latest_versions, one_version, store_next_version
from shenpi_core.task_forms import DeployedForm, FormPlan


async def deploy_form(
    session: AsyncSession, *, plan: FormPlan, form_json: str, deployed_by: str
) -> tuple[FormDefinition, bool]:
    """Store ``plan`` as the next version of its form; ``(row, created)``. The same hash as the
    latest version is a no-op that returns that version."""
    return await store_next_version(
        session,
        plan.hash,
        lambda: get_form(session, plan.form_id),
        lambda version: FormDefinition(
            form_id=plan.form_id,
            version=version,
            hash=plan.hash,
            name=plan.name,
            fields=list(plan.fields),
            form_json=form_json,
            deployed_by=deployed_by,
            deployed_at=datetime.now(UTC),
        ),
    )


async def get_form(
    session: AsyncSession, form_id: str, version: int | None = None
) -> FormDefinition | None:
    """One version of a form, its JSON loaded; the latest when ``version`` is None."""
    return await one_version(
        session, FormDefinition, FormDefinition.form_id, form_id, version, FormDefinition.form_json
    )


async def latest_forms(session: AsyncSession) -> list[FormDefinition]:
    """The latest version of every form, ordered by id."""
    return await latest_versions(session, FormDefinition, FormDefinition.form_id)


async def form_versions(session: AsyncSession, form_id: str) -> list[FormDefinition]:
    """Every version of one form, newest first."""
    return await all_versions(session, FormDefinition, FormDefinition.form_id, form_id)


async def linkable_forms(session: AsyncSession, form_ids: Iterable[str]) -> dict[str, DeployedForm]:
    """The latest deployed version of each of ``form_ids`` that is deployed, for a compile."""
    found: dict[str, DeployedForm] = {}
    for form_id in sorted(set(form_ids)):
        row = await get_form(session, form_id)
        if row is not None:
            found[form_id] = DeployedForm(form_id, row.version, json.loads(row.form_json))
    return found
