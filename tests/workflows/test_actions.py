"""Decision actions on the real dev server: unclaim, transfer (转办), delegate (委派),
add/remove signer (加签/减签) and the admin's jump. Each is authorised in the validator."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio
from temporalio.client import Client, WorkflowHandle, WorkflowUpdateFailedError
from temporalio.worker import Worker

from shenpi_core.contracts import ErrorType, TaskView
from tests.helpers import assert_eventually
from tests.workflows.action_support import recording_worker, start_plan, with_approval
from tests.workflows.support import (
    decide,
    history_length,
    open_task,
    open_tasks,
    start,
    state,
    timeline_events,
)


@pytest_asyncio.fixture
async def notify_worker(client: Client, task_queue: str) -> AsyncIterator[Worker]:
    async with recording_worker(client, task_queue) as running:
        yield running


async def refused(handle: WorkflowHandle[Any, Any], *args: Any, **fields: Any) -> str:
    """Decide, expect a refusal that left no trace in history; return its error type."""
    before = await history_length(handle)
    with pytest.raises(WorkflowUpdateFailedError) as err:
        await decide(handle, *args, **fields)
    assert await history_length(handle) == before
    return str(err.value.cause.type)  # type: ignore[attr-defined]


async def task_of(handle: WorkflowHandle[Any, Any], user: str) -> TaskView:
    """The open task ``user`` is the assignee of (waits until the workflow opened it)."""

    async def find() -> TaskView:
        found = [t for t in await open_tasks(handle) if t.assignee == user]
        assert len(found) == 1, f"open tasks of {user}: {found}"
        return found[0]

    return await assert_eventually(find)


# --- claim / unclaim ---------------------------------------------------------------------------


async def test_unclaim_returns_a_group_task_to_every_candidate(
    client: Client, notify_worker: Worker, task_queue: str
) -> None:
    handle = await start(client, "group_task", task_queue)
    task = await open_task(handle, "review")
    await decide(handle, task, "claim", "fay", groups=["finance"], comment="mine")

    assert await refused(handle, task, "unclaim", "carol", groups=["finance"]) == (
        ErrorType.NOT_ALLOWED
    )
    result = await decide(handle, task, "unclaim", "fay", groups=["finance"], comment="on leave")

    assert result.task.claimed_by is None
    await decide(handle, task, "claim", "carol", groups=["finance"])
    await decide(handle, task, "approve", "carol", groups=["finance"])
    final = await handle.result()
    claimed = next(e for e in final.timeline if e.event == "claimed")
    assert (claimed.actor, claimed.comment) == ("fay", "mine")
    unclaimed = next(e for e in final.timeline if e.event == "unclaimed")
    assert (unclaimed.actor, unclaimed.comment) == ("fay", "on leave")
    assert final.outcome == "approved"


async def test_unclaim_of_an_unclaimed_task_is_refused(
    client: Client, notify_worker: Worker, task_queue: str
) -> None:
    handle = await start(client, "group_task", task_queue)
    task = await open_task(handle, "review")

    error = await refused(handle, task, "unclaim", "fay", groups=["finance"])

    assert error == ErrorType.ILLEGAL_ACTION


# --- transfer ----------------------------------------------------------------------------------


async def test_transfer_moves_the_task_to_another_person(
    client: Client, notify_worker: Worker, task_queue: str
) -> None:
    handle = await start(client, "two_steps", task_queue, variables={"manager": "mona"})
    task = await open_task(handle, "manager")

    result = await decide(
        handle, task, "transfer", "mona", to="max", comment="max owns this budget"
    )

    assert (result.task.assignee, result.task.status) == ("max", "open")
    assert await refused(handle, task, "approve", "mona") == ErrorType.NOT_ALLOWED
    await decide(handle, task, "approve", "max")
    current = await state(handle)
    transferred = next(e for e in current.timeline if e.event == "transferred")
    assert transferred.actor == "mona"
    assert transferred.comment == "max owns this budget"
    assert transferred.details["from"] == "mona" and transferred.details["to"] == "max"


async def test_transfer_by_an_admin_is_allowed_and_by_a_stranger_refused(
    client: Client, notify_worker: Worker, task_queue: str
) -> None:
    handle = await start(client, "two_steps", task_queue, variables={"manager": "mona"})
    task = await open_task(handle, "manager")

    assert await refused(handle, task, "transfer", "eve", to="eve") == ErrorType.NOT_ALLOWED
    await decide(handle, task, "transfer", "root", to="max", is_admin=True)

    assert (await open_task(handle, "manager")).assignee == "max"


async def test_transfer_without_a_target_is_refused(
    client: Client, notify_worker: Worker, task_queue: str
) -> None:
    handle = await start(client, "two_steps", task_queue, variables={"manager": "mona"})
    task = await open_task(handle, "manager")

    assert await refused(handle, task, "transfer", "mona") == ErrorType.ILLEGAL_ACTION
    assert await refused(handle, task, "transfer", "mona", to="mona") == ErrorType.ILLEGAL_ACTION
    assert (
        await refused(handle, task, "delegate", "mona", to="group:finance")
        == ErrorType.ILLEGAL_ACTION
    )


async def test_racing_transfers_of_one_task_let_exactly_one_win(
    client: Client, notify_worker: Worker, task_queue: str
) -> None:
    handle = await start(client, "two_steps", task_queue, variables={"manager": "mona"})
    task = await open_task(handle, "manager")

    results = await asyncio.gather(
        decide(handle, task, "transfer", "mona", to="max"),
        decide(handle, task, "transfer", "mona", to="dan"),
        return_exceptions=True,
    )

    failures = [r for r in results if isinstance(r, BaseException)]
    assert len(failures) == 1
    assert isinstance(failures[0], WorkflowUpdateFailedError)
    assert failures[0].cause.type == ErrorType.NOT_ALLOWED  # type: ignore[attr-defined]
    current = await state(handle)
    assert timeline_events(current).count("transferred") == 1
    assert (await open_task(handle, "manager")).assignee in ("max", "dan")


# --- delegate ----------------------------------------------------------------------------------


async def test_delegate_answers_then_the_task_returns_to_its_owner_to_confirm(
    client: Client, notify_worker: Worker, task_queue: str
) -> None:
    handle = await start(client, "two_steps", task_queue, variables={"manager": "mona"})
    task = await open_task(handle, "manager")

    delegated = await decide(handle, task, "delegate", "mona", to="dan", comment="check figures")
    assert (delegated.task.assignee, delegated.task.owner) == ("dan", "mona")
    assert delegated.task.delegated_to == "dan"
    assert await refused(handle, task, "approve", "mona") == ErrorType.NOT_ALLOWED

    answered = await decide(
        handle, task, "approve", "dan", comment="figures ok", variables={"checked_by": "dan"}
    )
    assert answered.task.status == "open"  # back with the owner, not decided yet
    assert (answered.task.assignee, answered.task.delegated_to) == ("mona", None)
    assert await refused(handle, task, "approve", "dan") == ErrorType.NOT_ALLOWED

    await decide(handle, task, "approve", "mona", comment="confirmed")
    await open_task(handle, "finance")
    current = await state(handle)
    assert current.variables["checked_by"] == "dan"
    events = [(e.event, e.actor, e.comment) for e in current.timeline if e.task_id == task.task_id]
    assert events[1:] == [
        ("delegated", "mona", "check figures"),
        ("delegation_resolved", "dan", "figures ok"),
        ("approved", "mona", "confirmed"),
    ]


async def test_transfer_followed_by_a_delegate(
    client: Client, notify_worker: Worker, task_queue: str
) -> None:
    handle = await start(client, "two_steps", task_queue, variables={"manager": "mona"})
    task = await open_task(handle, "manager")

    await decide(handle, task, "transfer", "mona", to="max")
    await decide(handle, task, "delegate", "max", to="dan")
    assert await refused(handle, task, "transfer", "dan", to="eve") == ErrorType.ILLEGAL_ACTION
    await decide(handle, task, "reject", "dan", comment="looks wrong")
    await decide(handle, task, "approve", "max", comment="overruled")

    await open_task(handle, "finance")
    resolved = next(e for e in (await state(handle)).timeline if e.event == "delegation_resolved")
    assert resolved.details["decision"] == "reject" and resolved.details["owner"] == "max"


# --- add / remove signer -----------------------------------------------------------------------


async def test_add_signer_after_on_a_single_step_asks_the_signer_next(
    client: Client, notify_worker: Worker, task_queue: str
) -> None:
    process = with_approval("two_steps", "manager", ["mona"], mode="single")
    handle = await start_plan(client, process, task_queue)
    mona = await task_of(handle, "mona")

    await decide(handle, mona, "add_signer", "mona", to=["dan"], position="after")
    await decide(handle, mona, "approve", "mona")
    dan = await task_of(handle, "dan")
    assert dan.step_id == mona.step_id
    await decide(handle, dan, "approve", "dan")

    await open_task(handle, "finance")
    current = await state(handle)
    added = next(e for e in current.timeline if e.event == "signers_added")
    assert added.details["to"] == ["dan"] and added.details["position"] == "after"
    assert "step_passed" in timeline_events(current)


async def test_a_claimer_cannot_add_themselves_to_a_group_step(
    client: Client, notify_worker: Worker, task_queue: str
) -> None:
    process = with_approval("two_steps", "manager", ["group:finance"], mode="single")
    handle = await start_plan(client, process, task_queue)
    task = await open_task(handle, "manager")
    await decide(handle, task, "claim", "fay", groups=["finance"])

    assert (
        await refused(handle, task, "add_signer", "fay", groups=["finance"], to=["fay"])
        == ErrorType.ILLEGAL_ACTION
    )
    await decide(handle, task, "add_signer", "fay", groups=["finance"], to=["dan"])
    await decide(handle, task, "approve", "fay", groups=["finance"])
    await decide(handle, await task_of(handle, "dan"), "approve", "dan")
    await open_task(handle, "finance")


async def test_add_signer_before_in_a_sequential_step_asks_the_signer_first(
    client: Client, notify_worker: Worker, task_queue: str
) -> None:
    process = with_approval("two_steps", "manager", ["mona", "sam"], mode="sequential")
    handle = await start_plan(client, process, task_queue)
    mona = await task_of(handle, "mona")

    await decide(handle, mona, "add_signer", "mona", to="dan", position="before")

    dan = await task_of(handle, "dan")
    closed = next(t for t in (await state(handle)).tasks if t.task_id == mona.task_id)
    assert (closed.status, closed.outcome) == ("cancelled", "deferred")
    await decide(handle, dan, "approve", "dan")
    await decide(handle, await task_of(handle, "mona"), "approve", "mona")
    await decide(handle, await task_of(handle, "sam"), "approve", "sam")
    await open_task(handle, "finance")


async def test_add_signer_to_a_countersign_opens_their_task_at_once(
    client: Client, notify_worker: Worker, task_queue: str
) -> None:
    process = with_approval("two_steps", "manager", ["mona", "sam"], mode="all")
    handle = await start_plan(client, process, task_queue)
    mona = await task_of(handle, "mona")

    assert (
        await refused(handle, mona, "add_signer", "mona", to=["dan"], position="before")
        == ErrorType.ILLEGAL_ACTION
    )
    assert await refused(handle, mona, "add_signer", "mona", to=["sam"]) == (
        ErrorType.ILLEGAL_ACTION
    )
    await decide(handle, mona, "add_signer", "mona", to=["dan"])

    for user in ("mona", "sam", "dan"):
        await decide(handle, await task_of(handle, user), "approve", user)
    await open_task(handle, "finance")


async def test_remove_signer_closes_their_task_and_the_step_may_pass_at_once(
    client: Client, notify_worker: Worker, task_queue: str
) -> None:
    process = with_approval("two_steps", "manager", ["mona", "sam", "dan"], mode="all")
    handle = await start_plan(client, process, task_queue)
    await decide(handle, await task_of(handle, "mona"), "approve", "mona")
    sam = await task_of(handle, "sam")
    dan = await task_of(handle, "dan")
    assert (
        await refused(handle, sam, "remove_signer", "sam", to=["mona"]) == ErrorType.ILLEGAL_ACTION
    )  # mona already decided
    await decide(handle, sam, "approve", "sam")

    await decide(handle, dan, "remove_signer", "root", to=["dan"], is_admin=True, comment="away")

    await open_task(handle, "finance")
    current = await state(handle)
    removed = next(t for t in current.tasks if t.task_id == dan.task_id)
    assert (removed.status, removed.outcome) == ("cancelled", "removed")
    assert timeline_events(current).count("step_passed") == 1


async def test_remove_signer_from_a_sequential_step_skips_their_turn(
    client: Client, notify_worker: Worker, task_queue: str
) -> None:
    process = with_approval("two_steps", "manager", ["mona", "sam", "dan"], mode="sequential")
    handle = await start_plan(client, process, task_queue)
    mona = await task_of(handle, "mona")

    await decide(handle, mona, "remove_signer", "mona", to=["sam"])
    await decide(handle, mona, "approve", "mona")

    await decide(handle, await task_of(handle, "dan"), "approve", "dan")
    await open_task(handle, "finance")
    assert all(t.assignee != "sam" for t in (await state(handle)).tasks)


async def test_signers_on_a_plain_task_are_refused(
    client: Client, notify_worker: Worker, task_queue: str
) -> None:
    handle = await start(client, "two_steps", task_queue, variables={"manager": "mona"})
    task = await open_task(handle, "manager")

    assert await refused(handle, task, "add_signer", "mona", to=["dan"]) == (
        ErrorType.ILLEGAL_ACTION
    )


# --- jump --------------------------------------------------------------------------------------


async def test_admin_jump_ends_the_current_wait_and_moves_the_token(
    client: Client, notify_worker: Worker, task_queue: str
) -> None:
    handle = await start(client, "two_steps", task_queue, variables={"manager": "mona"})
    await decide(handle, await open_task(handle, "manager"), "approve", "mona")
    finance = await open_task(handle, "finance")

    assert (
        await refused(handle, finance, "jump", "fay", groups=["finance"], to="manager")
        == ErrorType.NOT_ALLOWED
    )
    assert (
        await refused(handle, finance, "jump", "root", is_admin=True, to="nowhere")
        == ErrorType.ILLEGAL_ACTION
    )
    await decide(handle, finance, "jump", "root", is_admin=True, to="manager", comment="redo")

    again = await open_task(handle, "manager")
    assert again.task_id != (await state(handle)).tasks[0].task_id
    current = await state(handle)
    jumped = next(e for e in current.timeline if e.event == "jumped")
    assert (jumped.actor, jumped.details["to"], jumped.comment) == ("root", "manager", "redo")
    closed = next(t for t in current.tasks if t.task_id == finance.task_id)
    assert (closed.status, closed.outcome) == ("cancelled", "jumped")


async def test_admin_jump_past_a_failed_branch_resolves_its_incident(
    client: Client, notify_worker: Worker, task_queue: str
) -> None:
    handle = await start(client, "stuck_branch", task_queue)
    review = await open_task(handle, "review")

    async def incident_shown() -> None:
        assert (await state(handle)).status == "incident"

    await assert_eventually(incident_shown)
    await decide(handle, review, "jump", "root", is_admin=True, to="end", comment="booked by hand")

    final = await handle.result()
    assert final.status == "completed"
    assert all(i.resolved_at is not None for i in final.incidents)


async def test_admin_jump_from_a_resubmit_task_reopens_the_step(
    client: Client, notify_worker: Worker, task_queue: str
) -> None:
    handle = await start(client, "countersign", task_queue, variables={"signers": ["ann", "bob"]})
    await decide(handle, await task_of(handle, "ann"), "reject", "ann")
    rework = await task_of(handle, "ida")
    assert rework.kind == "resubmit"

    await decide(handle, rework, "jump", "root", is_admin=True, to="sign")

    await task_of(handle, "ann")
    await task_of(handle, "bob")
    closed = next(t for t in (await state(handle)).tasks if t.task_id == rework.task_id)
    assert (closed.status, closed.outcome) == ("cancelled", "jumped")
