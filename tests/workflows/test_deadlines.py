"""Due dates, reminders and timeouts of approval tasks, on the time-skipping server: days pass in
seconds, on the same durable timers a production server keeps."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest_asyncio
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowHandle
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from shenpi_core.contracts import InstanceState, TaskView
from shenpi_core.process_plan import Expression, ProcessPlan
from tests.helpers import assert_eventually
from tests.workflows.action_support import notices, recording_worker, start_plan, with_approval
from tests.workflows.support import decide, open_task, open_tasks, plan, state, timeline_events

HOUR = 3600.0
DAY = 24 * HOUR


@pytest_asyncio.fixture
async def clock_worker(skipping_env: WorkflowEnvironment, task_queue: str) -> AsyncIterator[Worker]:
    async with recording_worker(skipping_env.client, task_queue) as running:
        yield running


def sla(approver: str = "alice", **spec: Any) -> ProcessPlan:
    """two_steps with a single-approver manager step carrying the given time settings."""
    return with_approval("two_steps", "manager", [approver], mode="single", **spec)


def three_day_sla(on_timeout: str) -> ProcessPlan:
    """Due in 3 days, a reminder every day up to 2, then ``on_timeout``."""
    return sla(
        due_in="P3D",
        due_in_seconds=3 * DAY,
        remind_every="P1D",
        remind_every_seconds=DAY,
        remind_max=2,
        on_timeout=on_timeout,
    )


def whole_minutes(delta: timedelta) -> int:
    """Timers fire a few milliseconds after their due time."""
    return int(delta.total_seconds() // 60)


def task_in(instance: InstanceState, task: TaskView) -> TaskView:
    return next(t for t in instance.tasks if t.task_id == task.task_id)


async def start_sla(
    env: WorkflowEnvironment, task_queue: str, process: ProcessPlan, **options: Any
) -> tuple[WorkflowHandle[Any, InstanceState], TaskView]:
    handle = await start_plan(env.client, process, task_queue, **options)
    return handle, await open_task(handle, "manager")


async def test_three_day_sla_reminds_twice_then_escalates_to_the_manager(
    skipping_env: WorkflowEnvironment, clock_worker: Worker, task_queue: str
) -> None:
    process = three_day_sla(on_timeout="escalate")
    handle, task = await start_sla(skipping_env, task_queue, process)
    assert task.due_at == task.created_at + timedelta(days=3)  # the inbox shows it

    await skipping_env.sleep(timedelta(days=3, minutes=1))

    current = await state(handle)
    escalated = task_in(current, task)
    assert (escalated.assignee, escalated.escalated, escalated.reminders_sent) == ("mona", True, 2)
    reminded = [e for e in current.timeline if e.event == "reminded"]
    assert [whole_minutes(e.at - task.created_at) for e in reminded] == [24 * 60, 48 * 60]
    (escalation,) = [e for e in current.timeline if e.event == "escalated"]
    assert (escalation.actor, escalation.details) == (
        "system:timeout",
        {"from": "alice", "to": "mona"},
    )
    assert whole_minutes(escalation.at - task.created_at) == 3 * 24 * 60

    async def notified() -> None:
        assert [n.config["to"] for n in notices(handle, "task_reminder")] == ["alice", "alice"]
        assert [n.config["to"] for n in notices(handle, "task_escalated")] == ["mona,alice"]

    await assert_eventually(notified)
    await decide(handle, task, "approve", "mona")
    await open_task(handle, "finance")


async def test_timeout_approve_decides_as_system_timeout(
    skipping_env: WorkflowEnvironment, clock_worker: Worker, task_queue: str
) -> None:
    process = sla(due_in="PT2H", due_in_seconds=2 * HOUR, on_timeout="approve")
    handle, task = await start_sla(skipping_env, task_queue, process)

    await skipping_env.sleep(timedelta(hours=3))

    await open_task(handle, "finance")
    current = await state(handle)
    decided = task_in(current, task)
    assert (decided.status, decided.outcome) == ("completed", "approved")
    approved = next(e for e in current.timeline if e.event == "approved")
    assert (approved.actor, approved.details.get("timeout")) == ("system:timeout", "true")
    assert whole_minutes(approved.at - task.created_at) == 120


async def test_timeout_reject_ends_the_instance_rejected(
    skipping_env: WorkflowEnvironment, clock_worker: Worker, task_queue: str
) -> None:
    process = sla(due_in="PT2H", due_in_seconds=2 * HOUR, on_timeout="reject")
    handle, _ = await start_sla(skipping_env, task_queue, process)

    await skipping_env.sleep(timedelta(hours=3))

    final = await handle.result()
    assert final.outcome == "rejected"
    rejected = next(e for e in final.timeline if e.event == "rejected")
    assert rejected.actor == "system:timeout"


async def test_timeout_none_records_overdue_once_and_keeps_the_task_open(
    skipping_env: WorkflowEnvironment, clock_worker: Worker, task_queue: str
) -> None:
    process = sla(due_in="PT1H", due_in_seconds=HOUR)
    handle, task = await start_sla(skipping_env, task_queue, process)

    await skipping_env.sleep(timedelta(days=2))

    current = await state(handle)
    assert timeline_events(current).count("overdue") == 1
    assert [t.task_id for t in await open_tasks(handle)] == [task.task_id]
    await decide(handle, task, "approve", "alice")
    await open_task(handle, "finance")


async def test_escalate_to_an_expression_reassigns_without_the_directory(
    skipping_env: WorkflowEnvironment, clock_worker: Worker, task_queue: str
) -> None:
    to_max = Expression(source="max", dialect="literal", ast={"lit": "max"})
    process = sla(due_in="PT4H", due_in_seconds=4 * HOUR, on_timeout="escalate", escalate_to=to_max)
    handle, task = await start_sla(skipping_env, task_queue, process)

    await skipping_env.sleep(timedelta(hours=5))

    assert task_in(await state(handle), task).assignee == "max"


async def test_escalation_the_directory_cannot_answer_is_recorded_and_the_task_stays(
    skipping_env: WorkflowEnvironment, clock_worker: Worker, task_queue: str
) -> None:
    process = sla("zoe", due_in="PT4H", due_in_seconds=4 * HOUR, on_timeout="escalate")
    handle, task = await start_sla(skipping_env, task_queue, process)

    await skipping_env.sleep(timedelta(hours=5))

    current = await state(handle)
    (failed,) = [e for e in current.timeline if e.event == "escalation_failed"]
    assert failed.details["from"] == "zoe"
    assert "unknown user 'zoe'" in failed.details["message"]  # what the directory said
    assert task_in(current, task).assignee == "zoe"
    assert current.status == "running"


async def test_escalation_of_an_approver_without_a_manager_is_recorded(
    skipping_env: WorkflowEnvironment, clock_worker: Worker, task_queue: str
) -> None:
    process = sla("dan", due_in="PT4H", due_in_seconds=4 * HOUR, on_timeout="escalate")
    handle, task = await start_sla(skipping_env, task_queue, process)

    await skipping_env.sleep(timedelta(hours=5))

    current = await state(handle)
    (failed,) = [e for e in current.timeline if e.event == "escalation_failed"]
    assert failed.details == {"message": "no one to escalate to", "from": "dan"}
    assert not task_in(current, task).escalated


async def test_a_decision_before_the_due_time_stops_reminders_and_timeout(
    skipping_env: WorkflowEnvironment, clock_worker: Worker, task_queue: str
) -> None:
    process = three_day_sla(on_timeout="reject")
    handle, task = await start_sla(skipping_env, task_queue, process)
    await skipping_env.sleep(timedelta(days=1, hours=1))
    await decide(handle, task, "approve", "alice")

    await skipping_env.sleep(timedelta(days=4))

    current = await state(handle)
    assert timeline_events(current).count("reminded") == 1
    assert "rejected" not in timeline_events(current)
    assert current.status == "running"
    assert (await open_task(handle, "finance")).due_at is None


async def test_reminders_and_escalation_survive_continue_as_new(
    skipping_env: WorkflowEnvironment, clock_worker: Worker, task_queue: str
) -> None:
    process = three_day_sla(on_timeout="escalate")
    handle, task = await start_sla(skipping_env, task_queue, process, max_history_events=12)

    await skipping_env.sleep(timedelta(days=3, minutes=1))

    current = await state(handle)
    first_run = skipping_env.client.get_workflow_handle(
        handle.id, run_id=handle.first_execution_run_id
    )
    first_events = (await first_run.fetch_history()).events
    assert first_events[-1].event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW
    escalated = task_in(current, task)
    assert (escalated.assignee, escalated.reminders_sent) == ("mona", 2)
    assert timeline_events(current).count("reminded") == 2
    assert timeline_events(current).count("escalated") == 1


async def test_due_date_is_in_the_inbox_memo_on_the_dev_server(
    client: Client, task_queue: str
) -> None:
    async with recording_worker(client, task_queue):
        process = sla(due_in="P2D", due_in_seconds=2 * DAY, on_timeout="escalate")
        handle = await start_plan(client, process, task_queue)
        task = await open_task(handle, "manager")
        due = task.created_at + timedelta(days=2)
        assert task.due_at == due

        async def in_memo() -> None:
            memo = await (await handle.describe()).memo_value("tasks")
            assert [t["due_at"] for t in memo] == [due.isoformat().replace("+00:00", "Z")]

        await assert_eventually(in_memo)
        await decide(handle, task, "approve", "alice")
        await open_task(handle, "finance")


async def test_a_delegated_task_escalates_from_its_owner(
    skipping_env: WorkflowEnvironment, clock_worker: Worker, task_queue: str
) -> None:
    process = sla("bob", due_in="PT4H", due_in_seconds=4 * HOUR, on_timeout="escalate")
    handle, task = await start_sla(skipping_env, task_queue, process)
    await decide(handle, task, "delegate", "bob", to="dan")

    await skipping_env.sleep(timedelta(hours=5))

    escalated = task_in(await state(handle), task)
    assert (escalated.assignee, escalated.delegated_to, escalated.owner) == ("mona", None, None)


async def test_reminders_and_escalation_survive_a_worker_restart(
    client: Client, task_queue: str
) -> None:
    process = sla(
        due_in="PT3S",
        due_in_seconds=3.0,
        remind_every="PT1S",
        remind_every_seconds=1.0,
        remind_max=2,
        on_timeout="escalate",
    )
    async with recording_worker(client, task_queue):
        handle = await start_plan(client, process, task_queue)
        task = await open_task(handle, "manager")
    # The first worker is gone (its cache with it); a new one replays and keeps the timers.
    async with recording_worker(client, task_queue):

        async def escalated() -> None:
            current = task_in(await state(handle), task)
            assert (current.assignee, current.reminders_sent, current.escalated) == (
                "mona",
                2,
                True,
            )

        await assert_eventually(escalated)
        assert timeline_events(await state(handle)).count("reminded") == 2


async def test_a_compiled_sla_on_an_any_step_reminds_and_escalates_every_approver(
    skipping_env: WorkflowEnvironment, clock_worker: Worker, task_queue: str
) -> None:
    # remindMax unset: the compiler allows every reminder before the due time (2 of them).
    handle = await start_plan(skipping_env.client, plan("sla_step"), task_queue)

    async def both_open() -> None:
        assert len(await open_tasks(handle)) == 2

    await assert_eventually(both_open)
    await skipping_env.sleep(timedelta(days=3, minutes=1))

    tasks = await open_tasks(handle)
    assert [(t.assignee, t.reminders_sent, t.escalated) for t in tasks] == [
        ("mona", 2, True),
        ("mona", 2, True),
    ]
    await decide(handle, tasks[0], "approve", "mona")
    final = await handle.result()
    assert final.outcome == "approved"
    assert [t.outcome for t in final.tasks] == ["approved", "closed"]
