"""The interpreter with the real ``ai-review`` activity against a local OpenAI-compatible server
(real HTTP, the real ``openai`` client): the engine auto-decides, hands over with advice, retries
then falls back, exactly as configured; nothing is stuck or lost."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest_asyncio
from temporalio.client import Client
from temporalio.worker import Worker

from shenpi_core.contracts import InstanceState
from shenpi_core.process_plan import ProcessPlan
from tests.ai.fake_openai import FakeOpenAi, running_fake_openai
from tests.workflows.ai_support import with_ai, with_flow_docs
from tests.workflows.approval_support import approval_activities, start_plan
from tests.workflows.support import fake_activities, settings_for_tests, state, wait_open_tasks
from worker import build_worker

ALICE = {"approver": "alice", "amount": 1260, "reason": "出差北京"}


@pytest_asyncio.fixture
async def server() -> AsyncIterator[FakeOpenAi]:
    async with running_fake_openai() as running:
        yield running


@pytest_asyncio.fixture
async def worker(client: Client, task_queue: str, server: FakeOpenAi) -> AsyncIterator[Worker]:
    """The production worker and its real ai-review activity, pointed at the local server."""
    settings = settings_for_tests(
        ai_provider="openai",
        ai_base_url=server.base_url,
        ai_api_key="test-key",
        ai_model="approve",
        ai_cache=False,  # every instance asks the server: the tests count its calls
    )
    async with build_worker(
        client,
        task_queue=task_queue,
        settings=settings,
        extra_activities=[*fake_activities(), *approval_activities()],
    ) as running:
        yield running


def deciding(model: str, **ai: Any) -> ProcessPlan:
    return with_ai("approval", "approve", ai={"mode": "decide", "model": model, **ai})


async def test_confident_model_approves_as_its_own_principal(
    client: Client, worker: Worker, task_queue: str, server: FakeOpenAi
) -> None:
    handle = await start_plan(client, deciding("approve"), task_queue, variables=ALICE)
    result: InstanceState = await handle.result()
    assert result.outcome == "approved"
    assert [t.assignee for t in result.tasks] == ["ai:approve"]
    reviewed = next(e for e in result.timeline if e.event == "ai_reviewed")
    assert (reviewed.details["provider"], reviewed.details["model"]) == ("openai", "approve")
    assert reviewed.details["request_id"].startswith("req-")
    assert reviewed.details["prompt_tokens"] > 0 and len(reviewed.details["prompt_hash"]) == 64
    assert reviewed.details["template_version"]
    assert server.calls("approve") == 1


async def test_hesitant_model_hands_the_task_over_with_its_advice(
    client: Client, worker: Worker, task_queue: str, server: FakeOpenAi
) -> None:
    handle = await start_plan(client, deciding("hesitant"), task_queue, variables=ALICE)
    (task,) = await wait_open_tasks(handle, 1)
    assert task.assignee == "alice" and task.ai is not None
    assert (task.ai.decision, task.ai.confidence) == ("approve", 0.55)
    assert task.ai.advice == "Probably fine; the receipt is unclear."
    assert task.ai.risk_flags == ["unclear_receipt"]


async def test_bad_json_is_retried_then_the_model_decides(
    client: Client, worker: Worker, task_queue: str, server: FakeOpenAi
) -> None:
    server.script("flaky", ["bad-json", "approve"])
    handle = await start_plan(client, deciding("flaky"), task_queue, variables=ALICE)
    result: InstanceState = await handle.result()
    assert result.outcome == "approved"
    assert server.calls("flaky") == 2


async def test_server_errors_exhaust_the_retries_then_people_decide(
    client: Client, worker: Worker, task_queue: str, server: FakeOpenAi
) -> None:
    process = deciding("error-500", max_attempts=2)
    handle = await start_plan(client, process, task_queue, variables=ALICE)
    (task,) = await wait_open_tasks(handle, 1)
    assert task.assignee == "alice" and task.ai is None
    events = [e.event for e in (await state(handle)).timeline]
    assert events == ["started", "ai_failed", "ai_fallback", "task_opened"]
    assert server.calls("error-500") == 2


async def test_model_routes_the_gateway_by_its_flows(
    client: Client, worker: Worker, task_queue: str, server: FakeOpenAi
) -> None:
    gateway = with_ai("amount_gateway", "how_much", ai={"mode": "route", "model": "route:medium"})
    process = with_flow_docs(gateway, {"big": "The board", "medium": "A manager"})
    handle = await start_plan(client, process, task_queue, variables={"amount": 50_000})
    (task,) = await wait_open_tasks(handle, 1)
    assert task.node_id == "manager"  # by its conditions alone: the board
    assert "ai_routed" in [e.event for e in (await state(handle)).timeline]
