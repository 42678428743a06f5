"""An approval step outlives continue-as-new: its tasks, rule and approver order carry over."""

from __future__ import annotations

from temporalio.client import Client
from temporalio.worker import Worker

from tests.helpers import assert_eventually
from tests.workflows.approval_support import start_plan, with_approval
from tests.workflows.support import decide, open_tasks, timeline_events
from workflows.contracts import InstanceState, TaskView


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
