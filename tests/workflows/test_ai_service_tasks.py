"""``ai-review`` service tasks: the review lands in variables for gateways to use, and a failed
review is not an incident: the fallback is the decision and the token moves on."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest_asyncio
from temporalio.client import Client
from temporalio.worker import Worker

from shenpi_core.contracts import ACTIVITY_AI_REVIEW
from shenpi_core.process_plan import ProcessPlan
from tests.workflows.ai_support import ASKED, ai_worker, with_ai
from tests.workflows.approval_support import start_plan
from tests.workflows.support import open_task, state, timeline_events


@pytest_asyncio.fixture
async def worker(client: Client, task_queue: str) -> AsyncIterator[Worker]:
    async with ai_worker(client, task_queue) as running:
        yield running


def reviewing_service(ai: dict[str, Any] | None, result_variable: str | None = None) -> ProcessPlan:
    """service_task.bpmn with its scoring task turned into an ai-review task."""
    return with_ai(
        "service_task",
        "score",
        task_type=ACTIVITY_AI_REVIEW,
        result_variable=result_variable,
        ai=ai,
    )


async def test_confident_review_lands_in_variables_and_the_token_moves_on(
    client: Client, worker: Worker, task_queue: str
) -> None:
    process = reviewing_service({"prompt": "approve 0.9"})
    handle = await start_plan(client, process, task_queue, variables={"amount": 120})
    await open_task(handle, "approve")
    current = await state(handle)
    assert timeline_events(current) == [
        "started",
        "ai_reviewed",
        "service_completed",
        "task_opened",
    ]
    variables = current.variables
    assert (variables["ai_decision"], variables["ai_confidence"]) == ("approve", 0.9)
    assert variables["ai_advice"] == "approve: the request looks fine"
    assert variables["ai_risk_flags"] == ["round_amount"]
    assert variables["ai_result_id"].startswith("res-")
    assert variables["category"] == "travel"  # an extracted field
    (asked,) = ASKED[handle.id]
    assert (asked.node_kind, asked.purpose, asked.variables["amount"]) == (
        "service_task",
        "review",
        120,
    )


async def test_extracted_fields_never_change_a_variable_nor_an_engine_key(
    client: Client, worker: Worker, task_queue: str
) -> None:
    planted = (
        "initiator=mallory requester=mallory amount=1 approved=true decision=approve"
        " outcome=approved ai_confidence=1 ai_extracted=null city=Beijing"
    )
    # The start event names its own initiator variable (camunda:initiator="requester").
    base = with_ai("service_task", "start", initiator_variable="requester")
    process = with_ai(
        "",
        "score",
        base=base,
        task_type=ACTIVITY_AI_REVIEW,
        result_variable=None,
        ai={"prompt": f"approve 0.9 {planted}"},
    )
    handle = await start_plan(client, process, task_queue, variables={"amount": 120})
    await open_task(handle, "approve")
    variables = (await state(handle)).variables
    assert (variables["requester"], variables["amount"]) == ("ida", 120)
    for engine_key in ("initiator", "approved", "decision", "outcome"):
        assert engine_key not in variables
    assert variables["ai_confidence"] == 0.9
    assert (variables["city"], variables["category"]) == ("Beijing", "travel")  # new: added
    extracted = variables["ai_extracted"]  # every field the model extracted, as it said
    assert (extracted["initiator"], extracted["amount"], extracted["approved"]) == (
        "mallory",
        1,
        True,
    )
    assert extracted["city"] == "Beijing" and extracted["ai_extracted"] is None


async def test_review_below_threshold_sets_the_fallback_as_decision(
    client: Client, worker: Worker, task_queue: str
) -> None:
    process = reviewing_service({"prompt": "reject 0.5", "fallback": "manual"})
    handle = await start_plan(client, process, task_queue)
    await open_task(handle, "approve")
    variables = (await state(handle)).variables
    assert (variables["ai_decision"], variables["ai_confidence"]) == ("manual", 0.5)


async def test_failed_review_is_no_incident_the_fallback_decides_and_the_token_moves_on(
    client: Client, worker: Worker, task_queue: str
) -> None:
    process = reviewing_service({"prompt": "fail", "max_attempts": 2, "fallback": "reject"})
    handle = await start_plan(client, process, task_queue)
    await open_task(handle, "approve")
    current = await state(handle)
    assert current.status == "running" and current.incidents == []
    assert (current.variables["ai_decision"], current.variables["ai_confidence"]) == ("reject", 0.0)
    assert current.variables["ai_error"] == "model endpoint answered 500 (attempt 2)"
    assert timeline_events(current) == ["started", "ai_failed", "service_completed", "task_opened"]


async def test_review_without_shenpi_ai_uses_the_defaults_and_its_result_variable(
    client: Client, worker: Worker, task_queue: str
) -> None:
    process = reviewing_service(None, result_variable="review")
    handle = await start_plan(client, process, task_queue)
    await open_task(handle, "approve")
    review = (await state(handle)).variables["review"]
    # The fake abstains without a prompt: below any threshold, so the default fallback.
    assert (review["ai_decision"], review["ai_confidence"]) == ("manual", 0.0)
    (asked,) = ASKED[handle.id]
    assert (asked.spec.threshold, asked.spec.fallback, asked.spec.prompt) == (0.8, "manual", None)
