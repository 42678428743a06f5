"""Approval steps per mode on the real dev server: one task per approver, the mode rule decides."""

from __future__ import annotations

import asyncio

import pytest
from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.worker import Worker

from shenpi_core.contracts import ErrorType, TaskView
from shenpi_core.process_plan import Expression
from tests.helpers import assert_eventually
from tests.workflows.approval_support import literal, start_plan, with_approval
from tests.workflows.support import decide, open_tasks, state, timeline_events


async def _open_by_assignee(handle: object, count: int) -> dict[str, TaskView]:
    async def check() -> dict[str, TaskView]:
        tasks = await open_tasks(handle)  # type: ignore[arg-type]
        assert len(tasks) == count, tasks
        return {t.assignee or "": t for t in tasks}

    return await assert_eventually(check)


async def test_countersign_passes_when_everyone_approved(
    client: Client, approval_worker: Worker, task_queue: str
) -> None:
    process = with_approval("approval", "approve", mode="all", approvers=["ann", "bob", "cy"])
    handle = await start_plan(client, process, task_queue)
    tasks = await _open_by_assignee(handle, 3)
    assert len({t.step_id for t in tasks.values()}) == 1
    assert {t.mode for t in tasks.values()} == {"all"}

    await decide(handle, tasks["ann"], "approve", "ann")
    await decide(handle, tasks["bob"], "approve", "bob")
    assert (await state(handle)).status == "running"
    await decide(handle, tasks["cy"], "approve", "cy", comment="ok")

    final = await handle.result()
    assert (final.status, final.outcome) == ("completed", "approved")
    events = timeline_events(final)
    assert events[:5] == ["started", "step_opened", "task_opened", "task_opened", "task_opened"]
    assert events[-3:] == ["approved", "step_passed", "completed"]
    assert final.timeline[1].details["approvers"] == ["ann", "bob", "cy"]


async def test_countersign_first_reject_rejects_and_closes_the_other_tasks(
    client: Client, approval_worker: Worker, task_queue: str
) -> None:
    process = with_approval("approval", "approve", mode="all", approvers=["ann", "bob", "cy"])
    handle = await start_plan(client, process, task_queue)
    tasks = await _open_by_assignee(handle, 3)

    await decide(handle, tasks["bob"], "reject", "bob", comment="over budget")

    final = await handle.result()
    assert (final.status, final.outcome) == ("completed", "rejected")
    closed = {t.assignee: (t.status, t.outcome) for t in final.tasks}
    assert closed == {
        "ann": ("cancelled", "closed"),
        "bob": ("completed", "rejected"),
        "cy": ("cancelled", "closed"),
    }
    assert "step_rejected" in timeline_events(final)


async def test_countersign_after_all_waits_for_everyone_before_rejecting(
    client: Client, approval_worker: Worker, task_queue: str
) -> None:
    process = with_approval(
        "approval", "approve", mode="all", reject_rule="after_all", approvers=["ann", "bob"]
    )
    handle = await start_plan(client, process, task_queue)
    tasks = await _open_by_assignee(handle, 2)

    await decide(handle, tasks["ann"], "reject", "ann")
    assert [t.assignee for t in await open_tasks(handle)] == ["bob"]
    await decide(handle, tasks["bob"], "approve", "bob")

    final = await handle.result()
    assert final.outcome == "rejected"  # the last task approved, but the step was rejected
    assert timeline_events(final)[-3:] == ["approved", "step_rejected", "completed"]


async def test_any_first_approval_wins_and_a_late_decision_is_refused(
    client: Client, approval_worker: Worker, task_queue: str
) -> None:
    process = with_approval("approval_chain", "approve", mode="any", approvers=["ann", "bob", "cy"])
    handle = await start_plan(client, process, task_queue)
    await decide(handle, (await _open_by_assignee(handle, 1))["ida"], "approve", "ida")
    tasks = await _open_by_assignee(handle, 3)

    await decide(handle, tasks["cy"], "approve", "cy")
    with pytest.raises(WorkflowUpdateFailedError) as err:
        await decide(handle, tasks["ann"], "approve", "ann")
    assert err.value.cause.type == ErrorType.NOT_OPEN  # type: ignore[attr-defined]

    current = await state(handle)
    step = [t for t in current.tasks if t.node_id == "approve"]
    assert sorted((t.assignee or "", t.outcome or "") for t in step) == [
        ("ann", "closed"),
        ("bob", "closed"),
        ("cy", "approved"),
    ]
    assert [t.assignee for t in current.tasks if t.status == "open"] == ["rita"]


async def test_any_after_all_rejects_only_when_everyone_rejected(
    client: Client, approval_worker: Worker, task_queue: str
) -> None:
    process = with_approval(
        "approval", "approve", mode="any", reject_rule="after_all", approvers=["ann", "bob"]
    )
    handle = await start_plan(client, process, task_queue)
    tasks = await _open_by_assignee(handle, 2)

    await decide(handle, tasks["ann"], "reject", "ann")
    assert (await state(handle)).status == "running"
    await decide(handle, tasks["bob"], "reject", "bob")

    assert (await handle.result()).outcome == "rejected"


async def test_any_racing_approvals_exactly_one_wins(
    client: Client, approval_worker: Worker, task_queue: str
) -> None:
    approvers = ["ann", "bob", "cy", "dee", "eli"]
    process = with_approval("approval_chain", "approve", mode="any", approvers=approvers)
    for _ in range(3):  # several rounds: the updates land in one activation or in several
        handle = await start_plan(client, process, task_queue)
        await decide(handle, (await _open_by_assignee(handle, 1))["ida"], "approve", "ida")
        tasks = await _open_by_assignee(handle, 5)

        results = await asyncio.gather(
            *(decide(handle, tasks[who], "approve", who) for who in approvers),
            return_exceptions=True,
        )

        accepted = [r for r in results if not isinstance(r, BaseException)]
        refused = [r for r in results if isinstance(r, WorkflowUpdateFailedError)]
        assert len(accepted) == 1 and len(refused) == 4
        assert {r.cause.type for r in refused} == {ErrorType.NOT_OPEN}  # type: ignore[attr-defined]
        current = await state(handle)
        step = [t for t in current.tasks if t.node_id == "approve"]
        assert sum(1 for t in step if t.outcome == "approved") == 1
        assert timeline_events(current).count("approved") == 2  # prepare, and one of the five
        await handle.terminate()


async def test_vote_of_five_at_sixty_percent_passes_on_the_third_approval(
    client: Client, approval_worker: Worker, task_queue: str
) -> None:
    voters = ["v1", "v2", "v3", "v4", "v5"]
    process = with_approval("approval", "approve", mode="vote", pass_ratio=0.6, approvers=voters)
    handle = await start_plan(client, process, task_queue)
    tasks = await _open_by_assignee(handle, 5)

    await decide(handle, tasks["v1"], "approve", "v1")
    await decide(handle, tasks["v2"], "reject", "v2")
    await decide(handle, tasks["v3"], "approve", "v3")
    assert (await state(handle)).status == "running"
    await decide(handle, tasks["v4"], "approve", "v4")

    final = await handle.result()
    assert final.outcome == "approved"
    assert next(t for t in final.tasks if t.assignee == "v5").outcome == "closed"


async def test_vote_fails_as_soon_as_the_ratio_cannot_be_reached(
    client: Client, approval_worker: Worker, task_queue: str
) -> None:
    voters = ["v1", "v2", "v3", "v4", "v5"]
    process = with_approval("approval", "approve", mode="vote", pass_ratio=0.6, approvers=voters)
    handle = await start_plan(client, process, task_queue)
    tasks = await _open_by_assignee(handle, 5)

    await decide(handle, tasks["v1"], "reject", "v1")
    await decide(handle, tasks["v2"], "reject", "v2")
    assert (await state(handle)).status == "running"  # 3 of 5 can still approve
    await decide(handle, tasks["v3"], "reject", "v3")

    final = await handle.result()
    assert final.outcome == "rejected"
    assert sum(1 for t in final.tasks if t.outcome == "closed") == 2


async def test_sequential_opens_one_task_at_a_time_in_list_order(
    client: Client, approval_worker: Worker, task_queue: str
) -> None:
    process = with_approval("approval", "approve", mode="sequential", approvers=["cy", "ann"])
    handle = await start_plan(client, process, task_queue)

    for who in ("cy", "ann"):
        tasks = await _open_by_assignee(handle, 1)
        assert list(tasks) == [who]
        await decide(handle, tasks[who], "approve", who)

    final = await handle.result()
    assert final.outcome == "approved"
    assert [t.assignee for t in final.tasks] == ["cy", "ann"]


async def test_single_with_a_group_entry_opens_a_group_task_to_claim(
    client: Client, approval_worker: Worker, task_queue: str
) -> None:
    process = with_approval("approval", "approve", mode="single", approvers=["group:finance"])
    handle = await start_plan(client, process, task_queue)
    (task,) = (await _open_by_assignee(handle, 1)).values()
    assert task.candidate_groups == ["finance"] and task.assignee is None

    await decide(handle, task, "claim", "fay", groups=["finance"])
    await decide(handle, task, "approve", "fay", groups=["finance"])

    assert (await handle.result()).outcome == "approved"


async def test_multi_instance_completion_condition_ends_the_step_early(
    client: Client, approval_worker: Worker, task_queue: str
) -> None:
    condition = Expression(
        source="${nrOfApproved >= 2}",
        dialect="juel",
        ast={"op": "ge", "args": [{"var": ["nrOfApproved"]}, {"lit": 2}]},
    )
    process = with_approval(
        "approval",
        "approve",
        mode="all",
        source="multi_instance",
        approvers=Expression(source="${reviewers}", dialect="juel", ast={"var": ["reviewers"]}),
        element_variable="approver",
        completion_condition=condition,
    )
    # The fixture's assignee is ${approver}: bound per task to the element, not the global value.
    handle = await start_plan(
        client,
        process,
        task_queue,
        variables={"reviewers": ["ann", "bob", "cy"], "approver": "zed"},
    )
    tasks = await _open_by_assignee(handle, 3)
    assert sorted(tasks) == ["ann", "bob", "cy"]

    await decide(handle, tasks["ann"], "approve", "ann")
    await decide(handle, tasks["cy"], "approve", "cy")

    final = await handle.result()
    assert final.outcome == "approved"
    assert next(t for t in final.tasks if t.assignee == "bob").outcome == "closed"


async def test_no_approvers_is_an_incident(
    client: Client, approval_worker: Worker, task_queue: str
) -> None:
    process = with_approval("approval", "approve", mode="all", approvers=literal([]))
    handle = await start_plan(client, process, task_queue)

    async def incident() -> None:
        current = await state(handle)
        assert current.status == "incident"
        assert [i.kind for i in current.incidents] == ["no_approvers"]

    await assert_eventually(incident)
    await handle.terminate()


async def test_approvers_from_the_directory_are_resolved_by_the_activity(
    client: Client, approval_worker: Worker, task_queue: str
) -> None:
    members = Expression(
        source='${members("board")}',
        dialect="juel",
        ast={"call": "members", "args": [{"lit": "board"}]},
    )
    process = with_approval("approval", "approve", mode="any", approvers=members)
    handle = await start_plan(client, process, task_queue)

    tasks = await _open_by_assignee(handle, 3)
    assert sorted(tasks) == ["bea", "ben", "bo"]
    await decide(handle, tasks["ben"], "approve", "ben")
    assert (await handle.result()).outcome == "approved"


async def test_countersign_with_a_group_entry_needs_one_member_of_the_group(
    client: Client, approval_worker: Worker, task_queue: str
) -> None:
    process = with_approval("approval", "approve", mode="all", approvers=["ann", "group:legal"])
    handle = await start_plan(client, process, task_queue)
    tasks = await _open_by_assignee(handle, 2)
    group_task = tasks[""]
    assert group_task.candidate_groups == ["legal"]

    await decide(handle, tasks["ann"], "approve", "ann")
    await decide(handle, group_task, "claim", "lou", groups=["legal"])
    await decide(handle, group_task, "approve", "lou", groups=["legal"])

    final = await handle.result()
    assert final.outcome == "approved"
    assert [e.actor for e in final.timeline if e.event == "approved"] == ["ann", "lou"]
