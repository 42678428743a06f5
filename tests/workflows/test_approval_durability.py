"""An approval step outlives continue-as-new (tasks, rule, approver order carry over); an
interrupting boundary timer ends all of its tasks."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from temporalio.client import Client, WorkflowHandle
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from shenpi_core.contracts import InstanceState, TaskView
from tests.helpers import assert_eventually
from tests.workflows.approval_support import start_plan, with_approval
from tests.workflows.support import decide, open_tasks, state, timeline_events


async def test_sequential_step_continues_as_new_between_approvers(
    client: Client, approval_worker: Worker, task_queue: str
) -> None:
    approvers = ["a1", "a2", "a3", "a4", "a5"]
    process = with_approval("approval", "approve", mode="sequential", approvers=approvers)
    first = await start_plan(client, process, task_queue, max_history_events=15)
    handle = client.get_workflow_handle(first.id, result_type=InstanceState)  # the latest run

    for who in approvers:

        async def next_task(who: str = who) -> TaskView:
            (task,) = await open_tasks(handle)
            assert task.assignee == who
            return task

        await decide(handle, await assert_eventually(next_task), "approve", who)

    final = await handle.result()
    assert (await handle.describe()).run_id != first.first_execution_run_id
    assert final.outcome == "approved"
    assert [t.assignee for t in final.tasks] == approvers
    assert len({t.step_id for t in final.tasks}) == 1
    events = timeline_events(final)
    assert (events.count("step_opened"), events.count("approved")) == (1, 5)


async def test_interrupting_boundary_timer_closes_every_open_task_of_the_step(
    skipping_env: WorkflowEnvironment, skipping_worker: Worker, task_queue: str
) -> None:
    client = skipping_env.client
    process = with_approval("boundary_timers", "approve", mode="all", approvers=["ann", "bob"])
    handle = await start_plan(client, process, task_queue)
    tasks = await _open_on(handle, "approve", 2)
    assert {t.due_at for t in tasks} != {None}  # due when the SLA fires
    await decide(handle, tasks[0], "approve", "ann")

    await skipping_env.sleep(timedelta(days=2, minutes=1))

    (escalated,) = await _open_on(handle, "escalate", 1)
    step = [t for t in (await state(handle)).tasks if t.node_id == "approve"]
    assert [(t.status, t.outcome) for t in step] == [
        ("completed", "approved"),
        ("cancelled", "timeout"),
    ]
    await decide(handle, escalated, "approve", "max", groups=["managers"])
    assert (await handle.result()).outcome == "approved"


async def _open_on(handle: WorkflowHandle[Any, Any], node_id: str, count: int) -> list[TaskView]:
    async def check() -> list[TaskView]:
        tasks = [t for t in await open_tasks(handle) if t.node_id == node_id]
        assert len(tasks) == count, tasks
        return tasks

    return await assert_eventually(check)
