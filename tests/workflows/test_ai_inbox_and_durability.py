"""AI advice in the inbox memo (ids and states only), and the review as a durable wait: a boundary
timer interrupts it, and an instance never continues as new with a review in flight."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest_asyncio
from temporalio.client import Client
from temporalio.worker import Worker

from shenpi_core.contracts import MEMO_TASKS, InstanceState
from shenpi_core.process_plan import TimerSpec
from tests.helpers import assert_eventually
from tests.workflows.ai_support import ai_worker, with_ai
from tests.workflows.approval_support import start_plan
from tests.workflows.support import decide, event_types, open_task, state, timeline_events


@pytest_asyncio.fixture
async def worker(client: Client, task_queue: str) -> AsyncIterator[Worker]:
    async with ai_worker(client, task_queue) as running:
        yield running


async def test_memo_keeps_the_ai_verdict_but_not_its_advice_or_risk_flags(
    client: Client, worker: Worker, task_queue: str
) -> None:
    process = with_ai("two_steps", "manager", ai={"mode": "advise", "prompt": "approve 0.95"})
    handle = await start_plan(client, process, task_queue, variables={"manager": "mona"})

    async def memo_of(node_id: str) -> dict[str, Any]:
        tasks = await (await handle.describe()).memo_value(MEMO_TASKS, [])
        assert [t["node_id"] for t in tasks] == [node_id]
        task: dict[str, Any] = tasks[0]
        return task

    advised = (await assert_eventually(lambda: memo_of("manager")))["ai"]
    assert advised == {
        "decision": "approve",
        "confidence": 0.95,
        "provider": "fake",
        "model": "fake-model",
        "cached": False,
        "result_id": advised["result_id"],
    }
    assert advised["result_id"].startswith("res-")
    await decide(handle, await open_task(handle, "manager"), "approve", "mona")
    plain = await assert_eventually(lambda: memo_of("finance"))
    assert "ai" not in plain  # as before AI existed: running instances' memos stay as they are


async def test_interrupting_boundary_timer_during_the_review_cancels_it(
    client: Client, worker: Worker, task_queue: str
) -> None:
    reviewed = with_ai(
        "boundary_timers", "approve", ai={"mode": "decide", "prompt": "slow", "max_attempts": 1}
    )
    one_second = TimerSpec(kind="duration", value="PT1S", seconds=1.0)
    process = with_ai("", "sla", base=reviewed, timer=one_second)
    handle = await start_plan(client, process, task_queue)
    task = await open_task(handle, "escalate")
    assert task.candidate_groups == ["managers"]
    events = timeline_events(await state(handle))
    assert events == ["started", "timer_fired", "task_opened"]
    assert "EVENT_TYPE_ACTIVITY_TASK_CANCEL_REQUESTED" in await event_types(handle)


async def test_no_continue_as_new_while_reviewing_and_the_advice_survives_it(
    client: Client, worker: Worker, task_queue: str
) -> None:
    # Legal is reviewed (one failed attempt, then a retry a second later) while finance decides:
    # that decision wakes the instance past its history limit with the review still in flight.
    process = with_ai(
        "parallel_review", "legal", ai={"mode": "advise", "prompt": "flaky approve 0.9"}
    )
    first = await start_plan(client, process, task_queue, max_history_events=8)
    await decide(first, await open_task(first, "finance"), "approve", "fred")
    latest = client.get_workflow_handle(first.id, result_type=InstanceState)

    async def continued() -> None:
        assert (await latest.describe()).run_id != first.first_execution_run_id

    await assert_eventually(continued)
    run = client.get_workflow_handle(first.id, run_id=first.first_execution_run_id)
    first_run = await event_types(run)
    assert first_run[-1] == "EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW"
    decided = first_run.index("EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED")
    assert decided < first_run.index("EVENT_TYPE_ACTIVITY_TASK_COMPLETED")  # review came after
    task = await open_task(latest, "legal")
    assert task.ai is not None and task.ai.advice == "approve: the request looks fine"
    await decide(latest, task, "approve", "lena")
    assert (await latest.result()).outcome == "approved"
