"""AI steps drawn in BPMN (``<shenpi:ai>`` compiled by the real compiler) run end to end."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest_asyncio
from temporalio.client import Client
from temporalio.worker import Worker

from tests.workflows.ai_support import ASKED, PRINCIPAL, ai_worker
from tests.workflows.support import decide, open_task, start, state, timeline_events


@pytest_asyncio.fixture
async def worker(client: Client, task_queue: str) -> AsyncIterator[Worker]:
    async with ai_worker(client, task_queue) as running:
        yield running


async def test_drawn_decide_step_approves_a_clear_claim_with_its_precedents_sent(
    client: Client, worker: Worker, task_queue: str
) -> None:
    variables = {"approver": "alice", "script": "approve 0.95"}
    handle = await start(client, "ai_decide", task_queue, variables=variables)
    result = await handle.result()
    assert result.outcome == "approved"
    assert [t.assignee for t in result.tasks] == [PRINCIPAL]
    (asked,) = ASKED[handle.id]
    assert [e.decision for e in asked.spec.examples] == ["approve", "reject"]
    assert (asked.spec.timeout_seconds, asked.spec.max_attempts) == (30.0, 2)


async def test_drawn_decide_step_below_its_threshold_goes_to_the_approver(
    client: Client, worker: Worker, task_queue: str
) -> None:
    variables = {"approver": "alice", "script": "approve 0.85"}  # the threshold is 0.9
    handle = await start(client, "ai_decide", task_queue, variables=variables)
    task = await open_task(handle, "approve")
    assert task.assignee == "alice" and task.ai is not None
    await decide(handle, task, "reject", "alice")
    assert (await handle.result()).outcome == "rejected"


async def test_drawn_screening_and_route_send_the_claim_to_the_desk_the_ai_picks(
    client: Client, worker: Worker, task_queue: str
) -> None:
    handle = await start(client, "ai_route", task_queue, variables={"category": "travel"})
    task = await open_task(handle, "legal")  # by its condition alone it would go to finance
    current = await state(handle)
    assert current.variables["ai_decision"] == "approve"
    assert timeline_events(current) == [
        "started",
        "ai_reviewed",
        "service_completed",
        "ai_reviewed",
        "ai_routed",
        "task_opened",
    ]
    await decide(handle, task, "approve", "lena", groups=["legal"])
    assert (await handle.result()).outcome == "approved"
