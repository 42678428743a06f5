"""Inclusive and event-based gateways and link events on the real dev server."""

from __future__ import annotations

import pytest
from temporalio.client import Client
from temporalio.worker import Worker

from tests.workflows.support import decide, open_task, open_tasks, start, state, timeline_events


@pytest.mark.parametrize(
    ("variables", "branches"),
    [
        ({"needs_legal": True, "amount": 5000, "needs_it": False}, ["finance", "legal"]),
        ({"needs_legal": False, "amount": 10, "needs_it": True}, ["it"]),
        ({"needs_legal": True, "amount": 5000, "needs_it": True}, ["finance", "it", "legal"]),
    ],
)
async def test_inclusive_split_takes_every_true_flow_and_the_join_waits_for_them(
    client: Client,
    worker: Worker,
    task_queue: str,
    variables: dict[str, object],
    branches: list[str],
) -> None:
    handle = await start(client, "inclusive_reviews", task_queue, variables=variables)
    for node in branches:
        await open_task(handle, node)
    assert sorted(t.node_id for t in await open_tasks(handle)) == branches
    for node in branches:
        assert "sign" not in {t.node_id for t in await open_tasks(handle)}  # the join waits
        task = await open_task(handle, node)
        await decide(handle, task, "approve", str(task.assignee))
    sign = await open_task(handle, "sign")
    assert [t["node_id"] for t in (await state(handle)).tokens] == ["sign"]
    await decide(handle, sign, "approve", "ida")
    assert (await handle.result()).status == "completed"


async def test_inclusive_split_takes_the_default_only_when_no_condition_holds(
    client: Client, worker: Worker, task_queue: str
) -> None:
    variables = {"needs_legal": False, "amount": 10, "needs_it": False}
    handle = await start(client, "inclusive_reviews", task_queue, variables=variables)
    await decide(handle, await open_task(handle, "sign"), "approve", "ida")
    done = await handle.result()
    assert [t.node_id for t in done.tasks] == ["sign"]


async def test_inclusive_join_fires_when_a_branch_ends_before_reaching_it(
    client: Client, worker: Worker, task_queue: str
) -> None:
    variables = {"needs_legal": True, "amount": 10, "needs_it": True}
    handle = await start(client, "inclusive_reviews", task_queue, variables=variables)
    await decide(handle, await open_task(handle, "legal"), "approve", "lea")
    assert [t.node_id for t in await open_tasks(handle)] == ["it"]  # IT may still come
    await decide(handle, await open_task(handle, "it"), "reject", "ivan")  # ends at it_gave_up
    sign = await open_task(handle, "sign")  # nobody can reach the join any more: it fires
    await decide(handle, sign, "approve", "ida")
    assert (await handle.result()).status == "completed"


async def test_event_gateway_takes_the_first_timer_and_a_link_carries_the_token_on(
    client: Client, worker: Worker, task_queue: str
) -> None:
    handle = await start(client, "event_gateway", task_queue)
    check = await open_task(handle, "check")  # "soon" won; the link led from jump to landing
    current = await state(handle)
    fired = [e.node_id for e in current.timeline if e.event == "timer_fired"]
    assert fired == ["soon"]
    assert [t["node_id"] for t in current.tokens] == ["check"]  # "later" is cancelled
    await decide(handle, check, "approve", "mia")
    done = await handle.result()
    assert done.status == "completed" and "timed_out" not in timeline_events(done)
