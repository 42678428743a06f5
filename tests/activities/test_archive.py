"""``shenpi-archive`` on real SQLite: one row per instance however often it runs."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest_asyncio
from sqlalchemy import func, select
from temporalio.testing import ActivityEnvironment

from activities.archive import ArchiveActivities
from shenpi.db.archive import decisions_of, get_archived, precedents
from shenpi.db.engine import create_engine, create_sessionmaker
from shenpi.db.models import ArchivedInstance
from shenpi.settings import Settings
from shenpi_core.contracts import ArchiveInput, InstanceState, TimelineEntry

AT = datetime(2026, 11, 21, 8, 0, tzinfo=UTC)


def _state(outcome: str = "approved") -> InstanceState:
    return InstanceState(
        process_id="purchase",
        version=2,
        status="completed",
        outcome=outcome,
        initiator="ivan",
        business_key="PO-1",
        variables={"amount": 1200},
        timeline=[
            TimelineEntry(at=AT, event="started", actor="ivan"),
            TimelineEntry(at=AT, event="task_opened", node_id="review", task_id="review-1"),
            TimelineEntry(at=AT, event="claimed", node_id="review", task_id="review-1", actor="al"),
            TimelineEntry(
                at=AT,
                event="approved",
                node_id="review",
                task_id="review-1",
                actor="al",
                comment="fine",
            ),
            TimelineEntry(
                at=AT, event="approved", node_id="pay", task_id="pay-1", actor="system:timeout"
            ),
            TimelineEntry(at=AT, event="completed"),
        ],
        tokens=[{"node_id": "end"}],
    )


@pytest_asyncio.fixture
async def settings(tmp_path: Path) -> AsyncIterator[Settings]:
    yield Settings(_env_file=None, env="test", data_dir=tmp_path / "shenpi")


async def _rows(settings: Settings) -> int:
    engine = create_engine(settings.resolved_database_url)
    try:
        async with engine.connect() as connection:
            count = await connection.scalar(select(func.count()).select_from(ArchivedInstance))
    finally:
        await engine.dispose()
    return int(count or 0)


async def test_archiving_twice_leaves_one_row_and_one_set_of_decisions(settings: Settings) -> None:
    activities = ArchiveActivities(settings)
    env = ActivityEnvironment()
    try:
        await env.run(activities.archive, ArchiveInput(instance_id="purchase:PO-1", state=_state()))
        # A retried attempt (or a late second archive) with a newer state replaces the first.
        await env.run(
            activities.archive,
            ArchiveInput(instance_id="purchase:PO-1", state=_state(outcome="rejected")),
        )
    finally:
        await activities.aclose()

    assert await _rows(settings) == 1
    engine = create_engine(settings.resolved_database_url)
    try:
        async with create_sessionmaker(engine)() as session:
            archived = await get_archived(session, "purchase:PO-1")
            decisions = await decisions_of(session, "purchase:PO-1")
            missing = await get_archived(session, "purchase:nope")
    finally:
        await engine.dispose()
    assert archived is not None and missing is None
    assert (archived.outcome, archived.business_key) == ("rejected", "PO-1")
    assert [e.event for e in archived.timeline][-2:] == ["approved", "completed"]
    assert archived.tokens == []  # the interpreter's bookkeeping is not archived
    # Only the person's approval is a decision: claims, openings, the start and the engine's own
    # timeout approval are not.
    assert [(d.node_id, d.actor, d.action, d.comment) for d in decisions] == [
        ("review", "al", "approved", "fine")
    ]
    assert decisions[0].variables == {"amount": 1200}


async def test_precedents_list_decisions_of_a_process_task_newest_first(settings: Settings) -> None:
    activities = ArchiveActivities(settings)
    env = ActivityEnvironment()
    later = _state().model_copy(deep=True)
    for entry in later.timeline:
        entry.at = AT.replace(hour=9)
    try:
        await env.run(activities.archive, ArchiveInput(instance_id="purchase:PO-1", state=_state()))
        await env.run(activities.archive, ArchiveInput(instance_id="purchase:PO-2", state=later))
    finally:
        await activities.aclose()
    engine = create_engine(settings.resolved_database_url)
    try:
        async with create_sessionmaker(engine)() as session:
            found = await precedents(session, "purchase", "review")
            other_node = await precedents(session, "purchase", "pay")
            one = await precedents(session, "purchase", limit=1)
    finally:
        await engine.dispose()
    assert [d.instance_id for d in found] == ["purchase:PO-2", "purchase:PO-1"]
    assert other_node == []
    assert [d.instance_id for d in one] == ["purchase:PO-2"]
