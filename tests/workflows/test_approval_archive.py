"""Archive on end: the final state reaches the app database (real SQLite, the real activity);
a failing archive is recorded in the timeline and the instance still ends."""

from __future__ import annotations

from temporalio import activity
from temporalio.client import Client
from temporalio.exceptions import ApplicationError
from temporalio.worker import Worker

from shenpi.db.archive import get_archived
from shenpi.db.engine import create_engine, create_sessionmaker
from shenpi_core.contracts import ACTIVITY_ARCHIVE, ArchiveInput, InstanceState
from tests.helpers import assert_eventually
from tests.workflows.approval_support import start_plan, with_approval
from tests.workflows.support import (
    decide,
    fake_activities,
    open_task,
    settings_for_tests,
    start,
    timeline_events,
)
from worker import build_worker


async def _archived(instance_id: str) -> InstanceState | None:
    engine = create_engine(settings_for_tests().resolved_database_url)
    try:
        async with create_sessionmaker(engine)() as session:
            return await get_archived(session, instance_id)
    finally:
        await engine.dispose()


async def test_ended_instance_is_archived_with_its_timeline(
    client: Client, worker: Worker, task_queue: str
) -> None:
    process = with_approval("approval", "approve", mode="all", approvers=["ann"])
    handle = await start_plan(client, process, task_queue)
    await decide(handle, await open_task(handle, "approve"), "approve", "ann", comment="ok")
    final = await handle.result()

    archived = await _archived(handle.id)

    assert archived is not None
    assert (archived.status, archived.outcome) == ("completed", "approved")
    assert timeline_events(archived) == timeline_events(final)
    assert "archive_failed" not in timeline_events(final)


async def test_cancelled_instance_is_archived_as_cancelled(
    client: Client, worker: Worker, task_queue: str
) -> None:
    handle = await start(client, "approval", task_queue, variables={"approver": "alice"})
    await open_task(handle, "approve")

    await handle.cancel()

    async def archived_as_cancelled() -> None:  # the archive runs after the cancel request
        archived = await _archived(handle.id)
        assert archived is not None
        assert (archived.status, archived.outcome) == ("cancelled", "cancelled")

    await assert_eventually(archived_as_cancelled)


@activity.defn(name=ACTIVITY_ARCHIVE)
async def broken_archive(input: ArchiveInput) -> None:
    raise ApplicationError("database is read-only", non_retryable=True)


async def test_failed_archive_is_recorded_and_the_instance_still_ends(
    client: Client, task_queue: str
) -> None:
    async with build_worker(
        client,
        task_queue=task_queue,
        settings=settings_for_tests(),
        extra_activities=[*fake_activities(), broken_archive],
    ):
        handle = await start(client, "approval", task_queue, variables={"approver": "alice"})
        await decide(handle, await open_task(handle, "approve"), "approve", "alice")
        final = await handle.result()

    assert final.status == "completed"
    assert timeline_events(final)[-2:] == ["completed", "archive_failed"]
    assert final.timeline[-1].details["message"] == "database is read-only"
