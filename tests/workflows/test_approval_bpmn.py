"""Approval steps drawn in BPMN (compiled by the real compiler), run on the real dev server; and
what happens when the directory cannot answer."""

from __future__ import annotations

from temporalio import activity
from temporalio.client import Client
from temporalio.exceptions import ApplicationError
from temporalio.worker import Worker

from shenpi_core.contracts import (
    ACTIVITY_DIRECTORY,
    DirectoryResolveInput,
    DirectoryResolveResult,
)
from tests.helpers import assert_eventually
from tests.workflows.support import (
    decide,
    fake_activities,
    settings_for_tests,
    start,
    state,
    wait_open_tasks,
)
from worker import build_worker


async def test_shenpi_approval_countersign_from_bpmn(
    client: Client, approval_worker: Worker, task_queue: str
) -> None:
    handle = await start(client, "countersign", task_queue, variables={"signers": "ann, bob"})
    tasks = await wait_open_tasks(handle, 2)
    assert sorted(t.assignee or "" for t in tasks) == ["ann", "bob"]

    for task in tasks:
        await decide(handle, task, "approve", task.assignee or "")

    assert (await handle.result()).outcome == "approved"


async def test_camunda_multi_instance_with_completion_condition_from_bpmn(
    client: Client, approval_worker: Worker, task_queue: str
) -> None:
    handle = await start(
        client, "mi_review", task_queue, variables={"reviewers": ["ann", "bob", "cy"]}
    )
    tasks = {t.assignee: t for t in await wait_open_tasks(handle, 3)}

    await decide(handle, tasks["bob"], "approve", "bob")
    await decide(handle, tasks["cy"], "approve", "cy")

    final = await handle.result()
    assert final.outcome == "approved"
    assert next(t for t in final.tasks if t.assignee == "ann").outcome == "closed"


async def test_assignee_calling_the_directory_is_resolved_by_the_activity(
    client: Client, approval_worker: Worker, task_queue: str
) -> None:
    handle = await start(client, "manager_step", task_queue, initiator="alice")

    (task,) = await wait_open_tasks(handle, 1)

    assert task.assignee == "mona"  # the test directory: alice reports to mona


@activity.defn(name=ACTIVITY_DIRECTORY)
async def directory_down(input: DirectoryResolveInput) -> DirectoryResolveResult:
    raise ApplicationError("directory file is unreadable", non_retryable=True)


async def test_directory_failure_is_an_incident_not_a_hang(client: Client, task_queue: str) -> None:
    async with build_worker(
        client,
        task_queue=task_queue,
        settings=settings_for_tests(),
        extra_activities=[*fake_activities(), directory_down],
    ):
        handle = await start(client, "manager_step", task_queue, initiator="alice")

        async def incident() -> None:
            current = await state(handle)
            assert current.status == "incident"
            assert [(i.node_id, i.kind) for i in current.incidents] == [
                ("approve", "directory_failed")
            ]
            assert "unreadable" in current.incidents[0].message

        await assert_eventually(incident)
        await handle.terminate()
