"""Queries on deployed DMN files (``decision_definitions``), versioned like processes.

A version belongs to one decision requirements graph (the DMN ``<definitions>`` id); a decision id
names one decision across every deployed graph, so a caller (a business rule task, the evaluate
route) finds the graph that holds it and pins that version.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from shenpi.db.models import DecisionDefinition
from shenpi.db.versions import all_versions, latest_versions, one_version, store_next_version
from shenpi_core.decision_plan import DecisionPlan


async def deploy_decisions(
    session: AsyncSession,
    *,
    plan: DecisionPlan,
    dmn_xml: bytes,
    warnings: list[dict[str, Any]],
    deployed_by: str,
) -> tuple[DecisionDefinition, bool]:
    """Store ``plan`` as the next version of its graph; ``(row, created)``. The same hash as
    the latest version is a no-op that returns that version."""
    return await store_next_version(
        session,
        plan.hash,
        lambda: get_decision_definition(session, plan.id),
        lambda version: DecisionDefinition(
            decision_requirements_id=plan.id,
            version=version,
            hash=plan.hash,
            name=plan.name,
            decision_ids=[d.id for d in plan.decisions],
            dmn_xml=dmn_xml,
            plan_json=plan.model_dump_json(),
            warnings=warnings,
            deployed_by=deployed_by,
            deployed_at=datetime.now(UTC),
        ),
    )


async def get_decision_definition(
    session: AsyncSession, drg_id: str, version: int | None = None
) -> DecisionDefinition | None:
    """One version of a graph, XML and plan loaded; the latest when ``version`` is None."""
    return await one_version(
        session,
        DecisionDefinition,
        DecisionDefinition.decision_requirements_id,
        drg_id,
        version,
        DecisionDefinition.dmn_xml,
        DecisionDefinition.plan_json,
    )


async def latest_decision_definitions(session: AsyncSession) -> list[DecisionDefinition]:
    """The latest version of every graph, ordered by its id."""
    return await latest_versions(
        session, DecisionDefinition, DecisionDefinition.decision_requirements_id
    )


async def decision_definition_versions(
    session: AsyncSession, drg_id: str
) -> list[DecisionDefinition]:
    """Every version of one graph, newest first."""
    return await all_versions(
        session, DecisionDefinition, DecisionDefinition.decision_requirements_id, drg_id
    )


async def decision_owners(
    session: AsyncSession, decision_ids: Iterable[str], *, besides: str
) -> dict[str, str]:
    """Which other graph (its latest version) already holds each of ``decision_ids``: a decision
    id must name one decision, or a business rule task could not tell which to evaluate."""
    wanted = set(decision_ids)
    owners: dict[str, str] = {}
    for row in await latest_decision_definitions(session):
        if row.decision_requirements_id == besides:
            continue
        for decision_id in wanted.intersection(row.decision_ids):
            owners[decision_id] = row.decision_requirements_id
    return owners


async def find_decision(session: AsyncSession, decision_id: str) -> DecisionDefinition | None:
    """The latest version of the graph that holds ``decision_id``, plan loaded."""
    for row in await latest_decision_definitions(session):
        if decision_id in row.decision_ids:
            return await get_decision_definition(session, row.decision_requirements_id, row.version)
    return None


def load_decision_plan(row: DecisionDefinition) -> DecisionPlan:
    """The stored plan of a row loaded with :func:`get_decision_definition`."""
    return DecisionPlan.model_validate_json(row.plan_json)


async def find_decision_version(
    session: AsyncSession,
    decision_id: str,
    *,
    version: int | None = None,
    deployed_before: datetime | None = None,
) -> DecisionDefinition | None:
    """The deployed DMN file holding ``decision_id`` that a business rule task's binding names,
    plan loaded: ``version`` of it, else the newest deployed at or before ``deployed_before``
    (the caller's version's deployment), else the latest (:func:`find_decision`)."""
    if version is None and deployed_before is None:
        return await find_decision(session, decision_id)
    stmt = select(DecisionDefinition).order_by(
        DecisionDefinition.deployed_at.desc(), DecisionDefinition.version.desc()
    )
    for row in (await session.execute(stmt)).scalars():  # XML and plans stay unloaded
        if decision_id not in row.decision_ids:
            continue
        if version is not None and row.version != version:
            continue
        if deployed_before is not None and row.deployed_at > deployed_before:
            continue
        return await get_decision_definition(session, row.decision_requirements_id, row.version)
    return None
