"""Queries on the app database, so routes and the CLI never write SQL themselves."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from shenpi.db.models import Definition
from shenpi.db.versions import all_versions, latest_versions, one_version, store_next_version
from shenpi_core.process_plan import ProcessPlan


async def deploy_definition(
    session: AsyncSession,
    *,
    plan: ProcessPlan,
    bpmn_xml: bytes,
    warnings: list[dict[str, Any]],
    deployed_by: str,
) -> tuple[Definition, bool]:
    """Store ``plan`` as the next version of its process; ``(definition, created)``.

    Deploying the same plan hash as the latest version is a no-op that returns that version.
    """
    return await store_next_version(
        session,
        plan.hash,
        lambda: get_definition(session, plan.process_id),
        lambda version: Definition(
            process_id=plan.process_id,
            version=version,
            hash=plan.hash,
            name=plan.name,
            bpmn_xml=bpmn_xml,
            plan_json=plan.model_dump_json(),
            warnings=warnings,
            deployed_by=deployed_by,
            deployed_at=datetime.now(UTC),
        ),
    )


async def get_definition(
    session: AsyncSession, process_id: str, version: int | None = None
) -> Definition | None:
    """One version of a process, XML and plan loaded; the latest when ``version`` is None."""
    return await one_version(
        session,
        Definition,
        Definition.process_id,
        process_id,
        version,
        Definition.bpmn_xml,
        Definition.plan_json,
    )


async def latest_definitions(session: AsyncSession) -> list[Definition]:
    """The latest version of every process, ordered by process id."""
    return await latest_versions(session, Definition, Definition.process_id)


async def definition_versions(session: AsyncSession, process_id: str) -> list[Definition]:
    """Every version of one process, newest first."""
    return await all_versions(session, Definition, Definition.process_id, process_id)


def load_plan(definition: Definition) -> ProcessPlan:
    """The stored plan of a definition loaded with :func:`get_definition`."""
    return ProcessPlan.model_validate_json(definition.plan_json)
