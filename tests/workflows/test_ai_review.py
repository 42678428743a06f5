"""User tasks with ``<shenpi:ai>``: the AI reviews before the task opens, then advises people or
decides as ``ai:<model>``; below threshold, abstaining or failing, the node's fallback applies."""

from __future__ import annotations

from collections.abc import AsyncIterator
from hashlib import sha256
from typing import Any

import pytest_asyncio
from temporalio.client import Client, WorkflowHandle
from temporalio.worker import Worker

from shenpi_core.contracts import InstanceState
from tests.helpers import assert_eventually
from tests.workflows.action_support import act
from tests.workflows.ai_support import ASKED, PRINCIPAL, ai_worker, with_ai
from tests.workflows.approval_support import start_plan, with_approval
from tests.workflows.support import decide, state, timeline_events, wait_open_tasks

ALICE = {"approver": "alice"}


@pytest_asyncio.fixture
async def worker(client: Client, task_queue: str) -> AsyncIterator[Worker]:
    async with ai_worker(client, task_queue) as running:
        yield running


def on_approve(**ai: Any) -> Any:
    return with_ai("approval", "approve", ai=ai)


async def finished(handle: WorkflowHandle[Any, Any]) -> InstanceState:
    result: InstanceState = await handle.result()
    return result


async def test_advise_shows_the_advice_on_the_task_then_a_person_decides(
    client: Client, worker: Worker, task_queue: str
) -> None:
    process = on_approve(mode="advise", prompt="approve 0.95")
    handle = await start_plan(client, process, task_queue, variables=ALICE)
    (task,) = await wait_open_tasks(handle, 1)
    assert task.assignee == "alice"
    assert task.ai is not None
    assert (task.ai.decision, task.ai.confidence, task.ai.model) == ("approve", 0.95, "fake-model")
    assert task.ai.advice == "approve: the request looks fine"
    assert task.ai.risk_flags == ["round_amount"]
    assert task.ai.result_id is not None and task.ai.result_id.startswith("res-")
    current = await state(handle)
    assert timeline_events(current) == ["started", "ai_reviewed", "task_opened"]
    reviewed = current.timeline[1]
    assert reviewed.actor == PRINCIPAL
    # The fake hashes "<node>:<prompt>" as its rendered prompt.
    assert reviewed.details["prompt_hash"] == sha256(b"approve:approve 0.95").hexdigest()
    assert reviewed.details["template_version"] == "custom:test"
    assert reviewed.details["request_id"].startswith("req-")
    assert (reviewed.details["prompt_tokens"], reviewed.details["completion_tokens"]) == (120, 30)
    (asked,) = ASKED[handle.id]
    assert (asked.node_kind, asked.purpose, asked.initiator) == ("user_task", "review", "ida")
    assert asked.variables["approver"] == "alice"

    await decide(handle, task, "approve", "alice")
    assert (await finished(handle)).outcome == "approved"


async def test_decide_mode_confident_approve_completes_the_task_as_the_ai_principal(
    client: Client, worker: Worker, task_queue: str
) -> None:
    process = on_approve(mode="decide", prompt="approve 0.95")
    result = await finished(await start_plan(client, process, task_queue, variables=ALICE))
    assert result.outcome == "approved"
    (task,) = result.tasks
    assert (task.assignee, task.status, task.outcome) == (PRINCIPAL, "completed", "approved")
    assert task.ai is not None and task.ai.decision == "approve"
    approved = next(e for e in result.timeline if e.event == "approved")
    assert approved.actor == PRINCIPAL
    assert result.variables["decision"] == "approve"


async def test_decide_mode_confident_reject_ends_a_plain_task_rejected(
    client: Client, worker: Worker, task_queue: str
) -> None:
    process = on_approve(mode="decide", prompt="reject 0.9")
    result = await finished(await start_plan(client, process, task_queue, variables=ALICE))
    assert result.outcome == "rejected"
    assert next(e for e in result.timeline if e.event == "rejected").actor == PRINCIPAL


async def test_decide_mode_below_threshold_hands_the_task_over_with_the_advice(
    client: Client, worker: Worker, task_queue: str
) -> None:
    process = on_approve(mode="decide", prompt="approve 0.6", threshold=0.8)
    handle = await start_plan(client, process, task_queue, variables=ALICE)
    (task,) = await wait_open_tasks(handle, 1)
    assert task.assignee == "alice"
    assert task.ai is not None and task.ai.confidence == 0.6
    current = await state(handle)
    assert timeline_events(current) == ["started", "ai_reviewed", "ai_fallback", "task_opened"]
    assert current.timeline[2].details == {"reason": "below_threshold", "fallback": "manual"}


async def test_decide_mode_abstaining_with_reject_fallback_rejects_as_the_system(
    client: Client, worker: Worker, task_queue: str
) -> None:
    process = on_approve(mode="decide", prompt="abstain 0.2", fallback="reject")
    result = await finished(await start_plan(client, process, task_queue, variables=ALICE))
    assert result.outcome == "rejected"
    (task,) = result.tasks
    assert (task.assignee, task.outcome) == ("system:ai-fallback", "rejected")
    fallback = next(e for e in result.timeline if e.event == "ai_fallback")
    assert fallback.details == {"reason": "abstained", "fallback": "reject"}
    assert next(e for e in result.timeline if e.event == "rejected").actor == "system:ai-fallback"


async def test_failing_ai_is_retried_then_the_task_opens_for_people_without_advice(
    client: Client, worker: Worker, task_queue: str
) -> None:
    process = on_approve(mode="decide", prompt="fail", max_attempts=2)
    handle = await start_plan(client, process, task_queue, variables=ALICE)
    (task,) = await wait_open_tasks(handle, 1)
    assert task.ai is None
    current = await state(handle)
    assert timeline_events(current) == ["started", "ai_failed", "ai_fallback", "task_opened"]
    assert current.timeline[1].details == {
        "message": "model endpoint answered 500 (attempt 2)",
        "fallback": "manual",
    }
    assert len(ASKED[handle.id]) == 2


async def test_failing_ai_with_approve_fallback_approves_as_the_system(
    client: Client, worker: Worker, task_queue: str
) -> None:
    process = on_approve(mode="decide", prompt="fail", max_attempts=1, fallback="approve")
    result = await finished(await start_plan(client, process, task_queue, variables=ALICE))
    assert result.outcome == "approved"
    assert timeline_events(result)[:5] == [
        "started",
        "ai_failed",
        "ai_fallback",
        "task_opened",
        "approved",
    ]
    assert result.timeline[4].actor == "system:ai-fallback"


async def test_failing_ai_in_advise_mode_hands_the_task_to_people_whatever_the_fallback(
    client: Client, worker: Worker, task_queue: str
) -> None:
    # The compiler refuses this spec; a plan built without it must still not auto-decide.
    process = on_approve(mode="advise", prompt="fail", max_attempts=1, fallback="approve")
    handle = await start_plan(client, process, task_queue, variables=ALICE)
    (task,) = await wait_open_tasks(handle, 1)
    assert (task.assignee, task.ai) == ("alice", None)
    current = await state(handle)
    assert timeline_events(current) == ["started", "ai_failed", "ai_fallback", "task_opened"]
    assert current.timeline[1].details["fallback"] == "manual"
    assert current.timeline[2].details == {"reason": "failed", "fallback": "manual"}


async def test_ai_slower_than_its_timeout_falls_back(
    client: Client, worker: Worker, task_queue: str
) -> None:
    process = on_approve(mode="decide", prompt="slow", timeout_seconds=1, max_attempts=1)
    handle = await start_plan(client, process, task_queue, variables=ALICE)
    (task,) = await wait_open_tasks(handle, 1)
    assert task.assignee == "alice" and task.ai is None
    failed = next(e for e in (await state(handle)).timeline if e.event == "ai_failed")
    assert failed.details["message"] == "activity timed out (start_to_close)"


async def test_flaky_ai_succeeds_on_its_second_attempt(
    client: Client, worker: Worker, task_queue: str
) -> None:
    process = on_approve(mode="decide", prompt="flaky approve 0.9")
    result = await finished(await start_plan(client, process, task_queue, variables=ALICE))
    assert result.outcome == "approved"
    assert "ai_failed" not in timeline_events(result)


async def test_human_required_task_goes_to_people_whatever_the_ai_answers(
    client: Client, worker: Worker, task_queue: str
) -> None:
    confident = with_ai(
        "approval", "approve", ai={"mode": "decide", "prompt": "approve 0.99"}, human_required=True
    )
    handle = await start_plan(client, confident, task_queue, variables=ALICE)
    (task,) = await wait_open_tasks(handle, 1)
    assert task.assignee == "alice"
    assert task.ai is not None and task.ai.decision == "approve"
    failing = with_ai(
        "approval",
        "approve",
        ai={"mode": "decide", "prompt": "fail", "max_attempts": 1, "fallback": "approve"},
        human_required=True,
    )
    other = await start_plan(client, failing, task_queue, variables=ALICE)
    (manual,) = await wait_open_tasks(other, 1)
    assert manual.assignee == "alice"
    fallback = next(e for e in (await state(other)).timeline if e.event == "ai_fallback")
    assert fallback.details["fallback"] == "manual"


async def test_ai_decides_a_whole_countersign_step_and_no_approver_task_opens(
    client: Client, worker: Worker, task_queue: str
) -> None:
    step = with_approval("approval", "approve", mode="all", approvers=["ann", "bob", "cy"])
    process = with_ai("", "approve", base=step, ai={"mode": "decide", "prompt": "approve 0.9"})
    result = await finished(await start_plan(client, process, task_queue))
    assert result.outcome == "approved"
    assert [(t.assignee, t.outcome) for t in result.tasks] == [(PRINCIPAL, "approved")]
    assert "step_passed" in timeline_events(result)


async def test_ai_reject_of_a_step_follows_its_reject_to(
    client: Client, worker: Worker, task_queue: str
) -> None:
    step = with_approval(
        "approval", "approve", mode="any", approvers=["ann", "bob"], reject_to="initiator"
    )
    process = with_ai("", "approve", base=step, ai={"mode": "decide", "prompt": "reject 0.9"})
    handle = await start_plan(client, process, task_queue)
    (resubmit,) = await wait_open_tasks(handle, 1)
    assert (resubmit.kind, resubmit.assignee) == ("resubmit", "ida")
    assert "step_rejected" in timeline_events(await state(handle))


async def test_advice_is_on_every_task_of_an_approval_step(
    client: Client, worker: Worker, task_queue: str
) -> None:
    step = with_approval("approval", "approve", mode="all", approvers=["ann", "bob"])
    process = with_ai("", "approve", base=step, ai={"mode": "advise", "prompt": "reject 0.7"})
    handle = await start_plan(client, process, task_queue)
    tasks = await wait_open_tasks(handle, 2)
    assert [(t.assignee, t.ai and t.ai.decision) for t in tasks] == [
        ("ann", "reject"),
        ("bob", "reject"),
    ]
    for task in tasks:
        await decide(handle, task, "approve", task.assignee or "")
    assert (await finished(handle)).outcome == "approved"


async def test_withdraw_during_the_review_ends_it(
    client: Client, worker: Worker, task_queue: str
) -> None:
    process = on_approve(mode="decide", prompt="slow")
    handle = await start_plan(client, process, task_queue, variables=ALICE)

    async def reviewing() -> None:
        assert (await state(handle)).tokens[0].get("reviewing") is True

    await assert_eventually(reviewing)
    await act(handle, "withdraw", "ida")
    result = await finished(handle)
    assert result.outcome == "withdrawn"
    assert result.tasks == []
    assert "ai_reviewed" not in timeline_events(result)


async def test_shadow_mode_records_the_answer_but_neither_decides_nor_shows_it(
    client: Client, worker: Worker, task_queue: str
) -> None:
    process = on_approve(mode="shadow", prompt="reject 0.99")
    handle = await start_plan(client, process, task_queue, variables=ALICE)
    (task,) = await wait_open_tasks(handle, 1)
    assert (task.assignee, task.ai) == ("alice", None)  # no advice on the task or the inbox
    current = await state(handle)
    assert timeline_events(current) == ["started", "ai_reviewed", "task_opened"]
    reviewed = current.timeline[1]
    assert reviewed.details["shadow"] is True
    assert (reviewed.details["decision"], reviewed.details["confidence"]) == ("reject", 0.99)
    await decide(handle, task, "approve", "alice")
    assert (await finished(handle)).outcome == "approved"  # the person's word, not the AI's


async def test_shadow_mode_failure_opens_the_task_for_people(
    client: Client, worker: Worker, task_queue: str
) -> None:
    process = on_approve(mode="shadow", prompt="fail", fallback="approve", max_attempts=1)
    handle = await start_plan(client, process, task_queue, variables=ALICE)
    (task,) = await wait_open_tasks(handle, 1)
    assert task.assignee == "alice"
    await decide(handle, task, "reject", "alice")
    assert (await finished(handle)).outcome == "rejected"


async def test_a_review_inside_a_subprocess_sees_its_local_variables(
    client: Client, worker: Worker, task_queue: str
) -> None:
    # Each instance of a multi-instance subprocess reviews its own document, not the process's
    # variables alone (its element `doc` is local to the instance).
    process = with_ai("mi_subprocess", "check", ai={"mode": "advise", "prompt": "approve 0.9"})
    docs = [{"name": "id card", "owner": "mia"}, {"name": "contract", "owner": "ray"}]
    variables = {"docs": docs, "timeout": "PT1H"}
    handle = await start_plan(client, process, task_queue, variables=variables)
    await wait_open_tasks(handle, 2)
    asked = sorted(a.variables["doc"]["name"] for a in ASKED[handle.id])
    assert asked == ["contract", "id card"]
    assert all(a.variables["docs"] == docs for a in ASKED[handle.id])
    await handle.terminate("done")
