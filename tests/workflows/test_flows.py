"""Token semantics on the real dev server: gateways, forks and joins, implicit splits and merges,
loop-backs, terminate end, incidents."""

from __future__ import annotations

import pytest
from temporalio.client import Client
from temporalio.worker import Worker

from tests.helpers import assert_eventually
from tests.workflows.support import (
    decide,
    event_types,
    open_task,
    open_tasks,
    start,
    state,
    timeline_events,
)


@pytest.mark.parametrize(
    ("amount", "node"),
    [(50_000, "board"), (5_000, "manager"), (101, "manager")],
)
async def test_exclusive_gateway_takes_the_first_true_condition_in_document_order(
    client: Client, worker: Worker, task_queue: str, amount: int, node: str
) -> None:
    handle = await start(client, "amount_gateway", task_queue, variables={"amount": amount})
    task = await open_task(handle, node)
    assert [t.node_id for t in await open_tasks(handle)] == [node]
    await decide(handle, task, "approve", "x", groups=["board", "managers"])
    assert (await handle.result()).outcome == "approved"


async def test_exclusive_gateway_takes_the_default_flow_when_no_condition_holds(
    client: Client, worker: Worker, task_queue: str
) -> None:
    handle = await start(client, "amount_gateway", task_queue, variables={"amount": 20})
    final = await handle.result()
    assert (final.status, final.outcome) == ("completed", "approved")
    assert final.tasks == []


async def test_no_matching_flow_is_an_incident_with_the_token_parked(
    client: Client, worker: Worker, task_queue: str
) -> None:
    handle = await start(client, "no_default", task_queue, variables={"amount": 50})

    async def incident_shown() -> None:
        current = await state(handle)
        assert current.status == "incident"
        assert [(i.node_id, i.kind) for i in current.incidents] == [("route", "no_matching_flow")]
        assert [(t["node_id"], t["state"]) for t in current.tokens] == [("route", "incident")]
        assert timeline_events(current) == ["started", "incident"]

    await assert_eventually(incident_shown)
    desc = await handle.describe()
    assert desc.status is not None and desc.status.name == "RUNNING"  # parked, not crashed
    assert "EVENT_TYPE_WORKFLOW_TASK_FAILED" not in await event_types(handle)


async def test_condition_that_cannot_be_evaluated_is_an_expression_incident(
    client: Client, worker: Worker, task_queue: str
) -> None:
    handle = await start(client, "no_default", task_queue, variables={"amount": "lots"})

    async def incident_shown() -> None:
        current = await state(handle)
        assert current.status == "incident"
        assert [i.kind for i in current.incidents] == ["expression_error"]
        assert "lots" in current.incidents[0].message

    await assert_eventually(incident_shown)


async def test_parallel_join_waits_for_every_branch(
    client: Client, worker: Worker, task_queue: str
) -> None:
    handle = await start(client, "parallel_review", task_queue)
    legal = await open_task(handle, "legal")
    finance = await open_task(handle, "finance")

    result = await decide(handle, legal, "approve", "lena")
    assert result.instance_status == "running"
    current = await state(handle)
    assert [(t["node_id"], t["state"]) for t in current.tokens] == [
        ("join", "join"),
        ("finance", "wait"),
    ]

    result = await decide(handle, finance, "approve", "fred")
    assert result.instance_status == "completed"
    assert (await handle.result()).outcome == "approved"


async def test_implicit_split_forks_and_implicit_merge_activates_once_per_token(
    client: Client, worker: Worker, task_queue: str
) -> None:
    handle = await start(client, "implicit_split_merge", task_queue)
    await decide(handle, await open_task(handle, "check_a"), "approve", "ann")
    await decide(handle, await open_task(handle, "check_b"), "approve", "ben")

    signs = [t for t in await open_tasks(handle) if t.node_id == "sign"]
    assert [t.task_id for t in signs] == ["sign-1", "sign-2"]
    for task in signs:
        await decide(handle, task, "approve", "sam")
    final = await handle.result()
    assert [t.task_id for t in final.tasks] == ["check_a-1", "check_b-1", "sign-1", "sign-2"]


async def test_loop_back_reworks_and_approves_on_the_second_round(
    client: Client, worker: Worker, task_queue: str
) -> None:
    handle = await start(client, "rework_loop", task_queue, initiator="ria")
    await decide(handle, await open_task(handle, "approve"), "reject", "mia", comment="add quotes")
    rework = await open_task(handle, "rework")
    assert rework.assignee == "ria"
    await decide(handle, rework, "approve", "ria", variables={"quotes": 3})
    second = await open_task(handle, "approve")
    assert second.task_id == "approve-2"
    await decide(handle, second, "approve", "mia")

    final = await handle.result()
    assert (final.outcome, final.variables["quotes"]) == ("approved", 3)
    assert [e.event for e in final.timeline if e.actor in ("mia", "ria")][1:] == [
        "rejected",
        "approved",
        "approved",
    ]


async def test_terminate_end_cancels_every_other_open_task(
    client: Client, worker: Worker, task_queue: str
) -> None:
    handle = await start(client, "terminate_end", task_queue)
    slow = await open_task(handle, "slow")
    await decide(handle, await open_task(handle, "veto"), "approve", "victor")

    final = await handle.result()
    assert (final.status, final.outcome) == ("terminated", "approved")
    closed = {t.task_id: (t.status, t.outcome) for t in final.tasks}
    assert closed[slow.task_id] == ("cancelled", "terminated")
    assert "task_cancelled" in timeline_events(final)


async def test_loop_that_never_waits_is_parked_as_an_incident_not_a_stuck_workflow_task(
    client: Client, worker: Worker, task_queue: str
) -> None:
    handle = await start(client, "endless_loop", task_queue, variables={"ready": False})

    async def incident_shown() -> None:
        current = await state(handle)
        assert [i.kind for i in current.incidents] == ["loop_limit"]
        assert current.status == "incident"

    await assert_eventually(incident_shown)
    assert "EVENT_TYPE_WORKFLOW_TASK_FAILED" not in await event_types(handle)
