"""Exclusive gateways with ``<shenpi:ai mode="route">``: a confident choice of an outgoing flow is
taken; otherwise (abstain, low confidence, unknown flow, failure) the conditions decide as usual."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio
from temporalio.client import Client
from temporalio.worker import Worker

from shenpi_core.contracts import AiRouteOption, InstanceState
from shenpi_core.process_plan import ProcessPlan
from tests.workflows.ai_support import ASKED, PRINCIPAL, ai_worker, with_ai, with_flow_docs
from tests.workflows.approval_support import start_plan
from tests.workflows.support import open_task, state, timeline_events

DOCS = {"big": "Large purchases: the board", "medium": "Everyday purchases: a manager"}


@pytest_asyncio.fixture
async def worker(client: Client, task_queue: str) -> AsyncIterator[Worker]:
    async with ai_worker(client, task_queue) as running:
        yield running


def routed(**ai: Any) -> ProcessPlan:
    gateway = with_ai("amount_gateway", "how_much", ai={"mode": "route", **ai})
    return with_flow_docs(gateway, DOCS)


async def test_confident_route_takes_the_flow_the_ai_names_over_the_conditions(
    client: Client, worker: Worker, task_queue: str
) -> None:
    handle = await start_plan(
        client, routed(prompt="medium 0.9"), task_queue, variables={"amount": 50_000}
    )
    await open_task(handle, "manager")  # the conditions alone would have sent it to the board
    current = await state(handle)
    assert timeline_events(current) == ["started", "ai_reviewed", "ai_routed", "task_opened"]
    routed_entry = current.timeline[2]
    assert routed_entry.actor == PRINCIPAL
    assert routed_entry.details == {"flow_id": "medium", "confidence": 0.9}
    (asked,) = ASKED[handle.id]
    assert (asked.node_kind, asked.purpose) == ("exclusive", "route")
    assert asked.options == [
        AiRouteOption(flow_id="big", documentation=DOCS["big"]),
        AiRouteOption(flow_id="medium", documentation=DOCS["medium"]),
        AiRouteOption(flow_id="auto"),
    ]


async def fallen_back(client: Client, task_queue: str, process: ProcessPlan) -> InstanceState:
    """Run with amount 50: by the conditions, the default flow straight to the end."""
    result: InstanceState = await (
        await start_plan(client, process, task_queue, variables={"amount": 50})
    ).result()
    assert result.status == "completed" and result.tasks == []
    return result


@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        ("big 0.3", "below_threshold"),
        ("nowhere 0.99", "unknown_flow"),  # names no outgoing flow
        ("abstain 0.99", "abstained"),
    ],
    ids=["low-confidence", "unknown-flow", "abstaining"],
)
async def test_unusable_route_falls_back_to_the_conditions(
    client: Client, worker: Worker, task_queue: str, answer: str, reason: str
) -> None:
    result = await fallen_back(client, task_queue, routed(prompt=answer))
    fallback = next(e for e in result.timeline if e.event == "ai_route_fallback")
    assert fallback.details == {"reason": reason}


async def test_failed_route_falls_back_to_the_conditions(
    client: Client, worker: Worker, task_queue: str
) -> None:
    result = await fallen_back(client, task_queue, routed(prompt="fail", max_attempts=1))
    assert timeline_events(result)[:3] == ["started", "ai_failed", "ai_route_fallback"]
    fallback = next(e for e in result.timeline if e.event == "ai_route_fallback")
    assert fallback.details == {"reason": "failed"}
