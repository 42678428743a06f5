"""Reject strategies of approval steps and the initiator's resubmission, on the real dev server."""

from __future__ import annotations

import pytest
from temporalio.client import Client, WorkflowHandle, WorkflowUpdateFailedError
from temporalio.worker import Worker

from shenpi_core.contracts import ErrorType, InstanceState, TaskView
from tests.helpers import assert_eventually
from tests.workflows.approval_support import start_plan, with_approval
from tests.workflows.support import decide, open_tasks, state, timeline_events


async def _only_open(handle: WorkflowHandle[object, InstanceState], node_id: str) -> TaskView:
    async def check() -> TaskView:
        tasks = await open_tasks(handle)
        assert [t.node_id for t in tasks] == [node_id], tasks
        return tasks[0]

    return await assert_eventually(check)


async def _all_open(handle: WorkflowHandle[object, InstanceState], count: int) -> list[TaskView]:
    async def check() -> list[TaskView]:
        tasks = await open_tasks(handle)
        assert len(tasks) == count, tasks
        return tasks

    return await assert_eventually(check)


async def test_reject_to_previous_reopens_the_last_completed_user_task(
    client: Client, approval_worker: Worker, task_queue: str
) -> None:
    process = with_approval(
        "approval_chain", "approve", mode="single", approvers=["ann"], reject_to="previous"
    )
    handle = await start_plan(client, process, task_queue)
    await decide(handle, await _only_open(handle, "prepare"), "approve", "ida")

    await decide(handle, await _only_open(handle, "approve"), "reject", "ann", comment="redo")

    again = await _only_open(handle, "prepare")
    assert (again.task_id, again.assignee) == ("prepare-2", "ida")
    sent_back = next(e for e in (await state(handle)).timeline if e.event == "sent_back")
    assert (sent_back.node_id, sent_back.details) == ("approve", {"to": "prepare"})


async def test_reject_to_previous_without_one_goes_back_to_the_initiator(
    client: Client, approval_worker: Worker, task_queue: str
) -> None:
    process = with_approval(
        "approval", "approve", mode="single", approvers=["ann"], reject_to="previous"
    )
    handle = await start_plan(client, process, task_queue)

    await decide(handle, await _only_open(handle, "approve"), "reject", "ann")

    rework = await _only_open(handle, "approve")
    assert (rework.kind, rework.assignee) == ("resubmit", "ida")


async def test_countersign_rejected_back_to_the_initiator_who_resubmits_and_all_approve(
    client: Client, approval_worker: Worker, task_queue: str
) -> None:
    process = with_approval(
        "approval", "approve", mode="all", approvers=["ann", "bob", "cy"], reject_to="initiator"
    )
    handle = await start_plan(client, process, task_queue, variables={"amount": 120})
    first = {t.assignee: t for t in await _all_open(handle, 3)}
    await decide(handle, first["bob"], "reject", "bob", comment="too much")

    rework = await _only_open(handle, "approve")
    assert (rework.kind, rework.assignee) == ("resubmit", "ida")
    with pytest.raises(WorkflowUpdateFailedError) as err:
        await decide(handle, rework, "approve", "ida")
    assert err.value.cause.type == ErrorType.ILLEGAL_ACTION  # type: ignore[attr-defined]
    await decide(handle, rework, "resubmit", "ida", variables={"amount": 90}, comment="cheaper")

    second = {t.assignee: t for t in await _all_open(handle, 3)}
    assert len({t.step_id for t in second.values()} | {first["ann"].step_id}) == 2
    for who, task in second.items():
        await decide(handle, task, "approve", who or "")

    final = await handle.result()
    assert (final.outcome, final.variables["amount"]) == ("approved", 90)
    events = timeline_events(final)
    assert events.count("step_opened") == 2
    assert events.index("step_rejected") < events.index("resubmitted") < events.index("step_passed")


async def test_resubmit_to_start_runs_the_process_from_the_start(
    client: Client, approval_worker: Worker, task_queue: str
) -> None:
    process = with_approval(
        "approval_chain",
        "approve",
        mode="single",
        approvers=["ann"],
        reject_to="initiator",
        resubmit_to="start",
    )
    handle = await start_plan(client, process, task_queue)
    await decide(handle, await _only_open(handle, "prepare"), "approve", "ida")
    await decide(handle, await _only_open(handle, "approve"), "reject", "ann")

    await decide(handle, await _only_open(handle, "approve"), "resubmit", "ida")

    assert (await _only_open(handle, "prepare")).task_id == "prepare-2"


async def test_initiator_giving_up_on_the_resubmit_task_ends_rejected(
    client: Client, approval_worker: Worker, task_queue: str
) -> None:
    process = with_approval(
        "approval", "approve", mode="single", approvers=["ann"], reject_to="initiator"
    )
    handle = await start_plan(client, process, task_queue)
    await decide(handle, await _only_open(handle, "approve"), "reject", "ann")

    await decide(handle, await _only_open(handle, "approve"), "reject", "ida", comment="dropped")

    final = await handle.result()
    assert (final.status, final.outcome) == ("completed", "rejected")


async def test_reject_to_a_named_node_moves_the_token_there(
    client: Client, approval_worker: Worker, task_queue: str
) -> None:
    process = with_approval(
        "approval_chain", "approve", mode="any", approvers=["ann", "bob"], reject_to="prepare"
    )
    handle = await start_plan(client, process, task_queue)
    await decide(handle, await _only_open(handle, "prepare"), "approve", "ida")
    tasks = await _all_open(handle, 2)

    await decide(handle, tasks[0], "reject", tasks[0].assignee or "")

    assert (await _only_open(handle, "prepare")).task_id == "prepare-2"
    closed = next(t for t in (await state(handle)).tasks if t.task_id == tasks[1].task_id)
    assert (closed.status, closed.outcome) == ("cancelled", "closed")


async def test_reject_to_end_ends_the_instance_rejected(
    client: Client, approval_worker: Worker, task_queue: str
) -> None:
    process = with_approval("approval_chain", "approve", mode="all", approvers=["ann", "bob"])
    handle = await start_plan(client, process, task_queue)
    await decide(handle, await _only_open(handle, "prepare"), "approve", "ida")
    tasks = await _all_open(handle, 2)

    await decide(handle, tasks[1], "reject", tasks[1].assignee or "")

    final = await handle.result()
    assert (final.status, final.outcome) == ("completed", "rejected")
    assert not any(t.node_id == "review" for t in final.tasks)
