"""Timers: intermediate catch and boundary timers (interrupting, non-interrupting cycles).

Days pass in seconds on the time-skipping server; the service-task boundary runs on the dev server
(the test server does not skip time while an activity runs) with a one-second timer.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio.api.enums.v1 import EventType
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from tests.workflows.support import decide, open_task, open_tasks, start, state, timeline_events


async def test_intermediate_timer_waits_its_duration_before_the_next_node(
    skipping_env: WorkflowEnvironment, skipping_worker: Worker, task_queue: str
) -> None:
    handle = await start(skipping_env.client, "timer_catch", task_queue)
    waiting = await state(handle)
    (token,) = waiting.tokens
    assert (token["node_id"], token["state"]) == ("cooling_off", "wait")
    assert await open_tasks(handle) == []

    await skipping_env.sleep(timedelta(days=3, minutes=1))

    task = await open_task(handle, "approve")
    current = await state(handle)
    assert timeline_events(current) == ["started", "timer_fired", "task_opened"]
    assert current.timeline[2].at - current.timeline[0].at >= timedelta(days=3)
    await decide(handle, task, "approve", "alice")
    assert (await handle.result()).outcome == "approved"


async def test_non_interrupting_cycle_fires_three_times_and_leaves_the_task_open(
    skipping_env: WorkflowEnvironment, skipping_worker: Worker, task_queue: str
) -> None:
    handle = await start(skipping_env.client, "boundary_timers", task_queue)
    task = await open_task(handle, "approve")
    assert task.due_at == task.created_at + timedelta(days=2)  # the interrupting SLA

    await skipping_env.sleep(timedelta(hours=5))

    current = await state(handle)
    fired = [e for e in current.timeline if e.event == "timer_fired"]
    assert [e.node_id for e in fired] == ["hourly", "hourly", "hourly"]
    assert timeline_events(current).count("service_completed") == 3  # one reminder per firing
    assert [t.task_id for t in await open_tasks(handle)] == [task.task_id]

    await decide(handle, task, "approve", "alice")
    final = await handle.result()
    assert (final.outcome, [t.status for t in final.tasks]) == ("approved", ["completed"])


async def test_interrupting_boundary_cancels_the_task_and_escalates(
    skipping_env: WorkflowEnvironment, skipping_worker: Worker, task_queue: str
) -> None:
    handle = await start(skipping_env.client, "boundary_timers", task_queue)
    task = await open_task(handle, "approve")

    await skipping_env.sleep(timedelta(days=2, minutes=1))

    escalated = await open_task(handle, "escalate")
    current = await state(handle)
    original = next(t for t in current.tasks if t.task_id == task.task_id)
    assert (original.status, original.outcome) == ("cancelled", "timeout")
    assert [e.node_id for e in current.timeline if e.event == "timer_fired"][-1] == "sla"
    await decide(handle, escalated, "approve", "max", groups=["managers"])
    final = await handle.result()
    assert final.outcome == "approved"
    assert final.tokens == []  # the cancelled task's remaining reminders died with it


async def test_interrupting_boundary_on_a_service_task_cancels_the_activity(
    client: Client, worker: Worker, task_queue: str
) -> None:
    handle = await start(client, "service_boundary", task_queue)

    manual = await open_task(handle, "manual_check")

    current = await state(handle)
    assert "service_completed" not in timeline_events(current)
    assert [t["node_id"] for t in current.tokens] == ["manual_check"]
    await decide(handle, manual, "approve", "rita", groups=["risk"])
    assert (await handle.result()).status == "completed"
    history = await handle.fetch_history()
    kinds = {e.event_type for e in history.events}
    assert EventType.EVENT_TYPE_ACTIVITY_TASK_CANCEL_REQUESTED in kinds


async def test_timers_already_due_fire_at_once_without_a_temporal_timer(
    client: Client, worker: Worker, task_queue: str
) -> None:
    past = {"startDate": "2020-01-01T00:00:00Z", "deadline": "2020-06-01T00:00:00Z"}
    handle = await start(client, "past_date_timer", task_queue, variables=past)

    late = await open_task(handle, "late")  # the catch passed, the interrupting deadline fired

    current = await state(handle)
    assert timeline_events(current) == [
        "started",
        "timer_fired",
        "task_opened",
        "timer_fired",
        "task_cancelled",
        "task_opened",
    ]
    assert (current.tasks[0].node_id, current.tasks[0].outcome) == ("approve", "timeout")
    history = await handle.fetch_history()
    assert EventType.EVENT_TYPE_TIMER_STARTED not in {e.event_type for e in history.events}
    await decide(handle, late, "approve", "max", groups=["managers"])
    assert (await handle.result()).status == "completed"
