"""Queries on the app database, so routes and the CLI never write SQL themselves."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Subquery, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from shenpi.db.models import Definition, EventStart
from shenpi.db.versions import all_versions, latest_versions, one_version, store_next_version
from shenpi_core.process_plan import ProcessPlan, StartEvent


async def deploy_definition(
    session: AsyncSession,
    *,
    plan: ProcessPlan,
    bpmn_xml: bytes,
    warnings: list[dict[str, Any]],
    deployed_by: str,
    before_commit: Callable[[Definition, Definition | None], Awaitable[None]] | None = None,
) -> tuple[Definition, bool]:
    """Store ``plan`` as the next version of its process; ``(definition, created)``.

    Deploying the same plan hash as the latest version is a no-op that returns that version.
    ``before_commit(stored, replaced)`` runs before the new version commits (its Schedules).
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
            event_starts=_event_starts(plan, version),
        ),
        before_commit,
    )


def _event_starts(plan: ProcessPlan, version: int) -> list[EventStart]:
    found = []
    for node_id in (plan.start_node, *plan.event_starts):
        node = plan.node(node_id)
        trigger = node.trigger if isinstance(node, StartEvent) else None
        if trigger is not None and trigger.event in ("message", "signal") and trigger.name:
            found.append(
                EventStart(
                    process_id=plan.process_id,
                    version=version,
                    node_id=node_id,
                    event=trigger.event,
                    name=trigger.name,
                )
            )
    return found


async def started_by(session: AsyncSession, event: str, name: str) -> list[EventStart]:
    """The start events of the latest deployed versions that ``event`` (message or signal)
    ``name`` starts, by process id: one indexed lookup."""
    latest = _latest_versions()
    stmt = (
        select(EventStart)
        .join(
            latest,
            (EventStart.process_id == latest.c.process_id)
            & (EventStart.version == latest.c.version),
        )
        .where(EventStart.event == event, EventStart.name == name)
        .order_by(EventStart.process_id, EventStart.node_id)
    )
    return list((await session.execute(stmt)).scalars())


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


def _latest_versions() -> Subquery:
    """(process_id, version) of the latest version of every process."""
    return (
        select(Definition.process_id, func.max(Definition.version).label("version"))
        .group_by(Definition.process_id)
        .subquery()
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
