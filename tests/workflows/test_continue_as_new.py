"""Continue-as-new: a new run really starts; open tasks stay decidable, timers keep their dues."""

from __future__ import annotations

from datetime import timedelta

from temporalio.api.enums.v1 import EventType
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from shenpi_core import search_attributes as sa
from shenpi_core.contracts import InstanceState
from tests.workflows.support import decide, open_task, start, state


async def test_instance_continues_as_new_and_its_open_task_stays_decidable(
    client: Client, worker: Worker, task_queue: str
) -> None:
    first = await start(client, "rework_loop", task_queue, max_history_events=20)
    handle = client.get_workflow_handle(first.id, result_type=InstanceState)  # the latest run
    first_run = first.first_execution_run_id
    assert first_run is not None
    rounds = 0
    while (await handle.describe()).run_id == first_run:
        assert rounds < 5, "never continued as new"
        await decide(handle, await open_task(handle, "approve"), "reject", "mia")
        await decide(handle, await open_task(handle, "rework"), "approve", "ida")
        rounds += 1

    resumed = await state(handle)
    assert resumed.timeline[0].event == "started"
    assert [e.event for e in resumed.timeline].count("started") == 1  # not recorded again
    task = await open_task(handle, "approve")
    assert task.task_id == f"approve-{rounds + 1}"  # counters carried over
    assert (await handle.describe()).typed_search_attributes.get(sa.PENDING_ACTORS) == ["user:mia"]

    await decide(handle, task, "approve", "mia")
    final = await handle.result()
    assert (final.status, final.outcome) == ("completed", "approved")
    assert [t.status for t in final.tasks] == ["completed"] * (2 * rounds + 1)

    first_history = await client.get_workflow_handle(first.id, run_id=first_run).fetch_history()
    last_event = first_history.events[-1].event_type
    assert last_event == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW


async def test_timers_survive_continue_as_new_with_their_remaining_occurrences(
    skipping_env: WorkflowEnvironment, skipping_worker: Worker, task_queue: str
) -> None:
    client = skipping_env.client
    first = await start(client, "boundary_timers", task_queue, max_history_events=14)
    handle = client.get_workflow_handle(first.id, result_type=InstanceState)
    task = await open_task(handle, "approve")

    await skipping_env.sleep(timedelta(hours=5))  # the three hourly reminders, then quiet
    assert (await handle.describe()).run_id != first.first_execution_run_id
    await skipping_env.sleep(timedelta(days=2))  # the SLA, armed by the first run

    escalated = await open_task(handle, "escalate")
    current = await state(handle)
    fired = [e.node_id for e in current.timeline if e.event == "timer_fired"]
    assert fired == ["hourly", "hourly", "hourly", "sla"]  # no occurrence lost or repeated
    assert next(t for t in current.tasks if t.task_id == task.task_id).outcome == "timeout"
    await decide(handle, escalated, "approve", "max", groups=["managers"])
    assert (await handle.result()).outcome == "approved"
