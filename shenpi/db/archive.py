"""The audit archive: final states of ended instances and the human decisions in their timelines.

Writing is an idempotent upsert keyed by instance id (a retried ``shenpi-archive`` attempt, or a
second archive of the same instance, leaves one row and one set of decisions), done in one
transaction so the decisions always match the archived timeline.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import undefer

from shenpi.db.models import ArchivedDecision, ArchivedInstance
from shenpi_core.contracts import AI_PRINCIPAL_PREFIX, InstanceState, TimelineEntry

# Timeline entries with an actor that are not decisions on the request itself.
_NOT_DECISIONS = frozenset({"claimed", "unclaimed", "urged", "started"})
SYSTEM_ACTOR_PREFIX = "system:"


async def archive_instance(
    session: AsyncSession, instance_id: str, state: InstanceState, *, archived_at: datetime
) -> None:
    """Store (or replace) the archived state of ``instance_id`` and its decisions; commits."""
    row: dict[str, Any] = {
        "instance_id": instance_id,
        "process_id": state.process_id,
        "version": state.version,
        "status": state.status,
        "outcome": state.outcome,
        "initiator": state.initiator,
        "business_key": state.business_key,
        # The token bookkeeping is the interpreter's, not part of the audit trail.
        "state": state.model_dump(mode="json", exclude={"tokens", "counters"}),
        "archived_at": archived_at,
    }
    async with session.begin():
        await session.execute(_upsert(session, row))
        await session.execute(
            delete(ArchivedDecision).where(ArchivedDecision.instance_id == instance_id)
        )
        decisions = list(decision_rows(instance_id, state))
        if decisions:
            await session.execute(insert(ArchivedDecision), decisions)


def _upsert(session: AsyncSession, row: dict[str, Any]) -> Any:
    changes = {k: v for k, v in row.items() if k != "instance_id"}
    dialect = session.bind.dialect.name if session.bind is not None else ""
    if dialect == "postgresql":
        pg = postgresql.insert(ArchivedInstance).values(row)
        return pg.on_conflict_do_update(index_elements=["instance_id"], set_=changes)
    if dialect == "sqlite":
        lite = sqlite.insert(ArchivedInstance).values(row)
        return lite.on_conflict_do_update(index_elements=["instance_id"], set_=changes)
    raise NotImplementedError(f"the archive supports SQLite and PostgreSQL, not {dialect!r}")


def decision_rows(instance_id: str, state: InstanceState) -> Iterator[dict[str, Any]]:
    """The human decisions of a timeline: entries by a person on a task (claims left out)."""
    variables = state.model_dump(mode="json", include={"variables"})["variables"]
    for entry in state.timeline:
        if _is_decision(entry):
            assert entry.actor is not None
            yield {
                "instance_id": instance_id,
                "process_id": state.process_id,
                "node_id": entry.node_id,
                "task_id": entry.task_id,
                "actor": entry.actor,
                "action": entry.event,
                "comment": entry.comment,
                "variables": variables,
                "details": entry.model_dump(mode="json", include={"details"})["details"],
                "decided_at": entry.at,
            }


def _is_decision(entry: TimelineEntry) -> bool:
    # "system:timeout", "system:auto-skip": the engine applying a rule, not a person deciding.
    person = entry.actor is not None and not entry.actor.startswith(SYSTEM_ACTOR_PREFIX)
    return person and entry.task_id is not None and entry.event not in _NOT_DECISIONS


async def get_archived(session: AsyncSession, instance_id: str) -> InstanceState | None:
    """The archived state of an instance, or None if it was never archived."""
    stmt = (
        select(ArchivedInstance)
        .where(ArchivedInstance.instance_id == instance_id)
        .options(undefer(ArchivedInstance.state))
    )
    archived = (await session.execute(stmt)).scalars().first()
    return InstanceState.model_validate(archived.state) if archived is not None else None


async def decisions_of(session: AsyncSession, instance_id: str) -> list[ArchivedDecision]:
    """The archived decisions of one instance, in timeline order."""
    stmt = (
        select(ArchivedDecision)
        .where(ArchivedDecision.instance_id == instance_id)
        .order_by(ArchivedDecision.id)
    )
    return list((await session.execute(stmt)).scalars())


async def precedents(
    session: AsyncSession, process_id: str, node_id: str | None = None, *, limit: int = 50
) -> list[ArchivedDecision]:
    """Past human decisions on a process (or one of its tasks), newest first: the precedents
    later AI advice compares a new request with. Decisions by the AI itself (``ai:``) or the
    engine (``system:``) are left out: the AI must learn from people, never from its own echo."""
    stmt = select(ArchivedDecision).where(
        ArchivedDecision.process_id == process_id,
        ArchivedDecision.actor.not_like(f"{AI_PRINCIPAL_PREFIX}%"),
        ArchivedDecision.actor.not_like(f"{SYSTEM_ACTOR_PREFIX}%"),
    )
    if node_id is not None:
        stmt = stmt.where(ArchivedDecision.node_id == node_id)
    stmt = stmt.order_by(ArchivedDecision.decided_at.desc(), ArchivedDecision.id.desc()).limit(
        limit
    )
    return list((await session.execute(stmt)).scalars())
