"""Auto-skip on approval steps: recorded as skipped (never approved), or routed to the manager."""

from __future__ import annotations

from temporalio.client import Client
from temporalio.worker import Worker

from shenpi_core.contracts import (
    UPDATE_INSTANCE_ACTION,
    InstanceActionInput,
    InstanceActionResult,
)
from tests.workflows.approval_support import start_plan, with_approval
from tests.workflows.support import decide, state, timeline_events, wait_open_tasks


async def test_initiator_among_the_approvers_is_skipped_not_approved(
    client: Client, approval_worker: Worker, task_queue: str
) -> None:
    process = with_approval(
        "approval", "approve", mode="all", approvers=["ida", "ann"], if_initiator="skip"
    )
    handle = await start_plan(client, process, task_queue, initiator="ida")
    (task,) = await wait_open_tasks(handle, 1)
    assert task.assignee == "ann"

    await decide(handle, task, "approve", "ann")

    final = await handle.result()
    assert final.outcome == "approved"
    ida = next(t for t in final.tasks if t.assignee == "ida")
    assert (ida.status, ida.outcome) == ("skipped", "skipped")
    skipped = next(e for e in final.timeline if e.event == "skipped")
    assert skipped.actor == "system:auto-skip"
    assert skipped.details == {"approver": "ida", "reason": "initiator"}
    assert [e.actor for e in final.timeline if e.event == "approved"] == ["ann"]


async def test_approver_who_already_approved_in_this_instance_is_skipped(
    client: Client, approval_worker: Worker, task_queue: str
) -> None:
    process = with_approval(
        "approval_chain",
        "approve",
        mode="all",
        approvers=["ida", "bob"],
        if_already_approved="skip",
    )
    handle = await start_plan(client, process, task_queue, initiator="zoe")
    (prepare,) = await wait_open_tasks(handle, 1)
    await decide(handle, prepare, "approve", "ida")

    (task,) = await wait_open_tasks(handle, 1)
    assert (task.node_id, task.assignee) == ("approve", "bob")
    skipped = next(e for e in (await state(handle)).timeline if e.event == "skipped")
    assert skipped.details == {"approver": "ida", "reason": "already_approved"}


async def test_everyone_skipped_passes_the_step_without_a_decision(
    client: Client, approval_worker: Worker, task_queue: str
) -> None:
    process = with_approval(
        "approval", "approve", mode="all", approvers=["ida"], if_initiator="skip"
    )
    handle = await start_plan(client, process, task_queue, initiator="ida")

    final = await handle.result()

    assert final.outcome == "approved"
    assert timeline_events(final) == [
        "started",
        "step_opened",
        "skipped",
        "step_passed",
        "completed",
    ]


async def test_initiator_among_the_approvers_is_routed_to_their_manager(
    client: Client, approval_worker: Worker, task_queue: str
) -> None:
    process = with_approval(
        "approval", "approve", mode="sequential", approvers=["ida", "ann"], if_initiator="manager"
    )
    handle = await start_plan(client, process, task_queue, initiator="ida")

    (task,) = await wait_open_tasks(handle, 1)
    assert task.assignee == "mona"  # the test directory: ida reports to mona
    await decide(handle, task, "approve", "mona")
    (task,) = await wait_open_tasks(handle, 1)
    assert task.assignee == "ann"


async def test_a_skip_does_not_count_as_acting_so_the_initiator_may_still_withdraw(
    client: Client, approval_worker: Worker, task_queue: str
) -> None:
    process = with_approval(
        "approval", "approve", mode="all", approvers=["ida", "ann"], if_initiator="skip"
    )
    handle = await start_plan(client, process, task_queue, initiator="ida")
    await wait_open_tasks(handle, 1)

    await handle.execute_update(
        UPDATE_INSTANCE_ACTION,
        InstanceActionInput(action="withdraw", actor="ida"),
        result_type=InstanceActionResult,
    )

    assert (await handle.result()).outcome == "withdrawn"
