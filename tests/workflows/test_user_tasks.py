"""User tasks end to end on the real dev server: approve, reject, claim, refusals, the inbox."""

from __future__ import annotations

import pytest
from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.worker import Worker

from shenpi_core import search_attributes as sa
from shenpi_core.contracts import ErrorType, InstanceState
from tests.helpers import assert_eventually
from tests.workflows.support import decide, history_length, open_task, start, state, timeline_events


async def test_approving_the_only_task_completes_with_outcome_approved(
    client: Client, worker: Worker, task_queue: str
) -> None:
    handle = await start(client, "approval", task_queue, variables={"approver": "alice"})
    task = await open_task(handle, "approve")
    assert task.assignee == "alice"
    assert len(task.ref) == 6

    result = await decide(handle, task, "approve", "alice", comment="fine by me")

    assert result.accepted and result.task.status == "completed"
    final = await handle.result()
    assert final.status == "completed"
    assert final.outcome == "approved"
    assert final.variables["approved"] is True and final.variables["decision"] == "approve"
    assert timeline_events(final) == ["started", "task_opened", "approved", "completed"]
    approved = final.timeline[2]
    assert (approved.actor, approved.comment, approved.task_id) == (
        "alice",
        "fine by me",
        task.task_id,
    )
    assert final.tokens == []


async def test_reject_without_a_gateway_ends_the_instance_rejected(
    client: Client, worker: Worker, task_queue: str
) -> None:
    handle = await start(client, "approval", task_queue, variables={"approver": "alice"})
    task = await open_task(handle, "approve")

    await decide(handle, task, "reject", "alice", comment="too expensive")

    final = await handle.result()
    assert (final.status, final.outcome) == ("completed", "rejected")
    assert final.variables["approved"] is False
    assert timeline_events(final)[-2:] == ["rejected", "completed"]


async def test_reject_into_a_gateway_is_routed_by_the_model(
    client: Client, worker: Worker, task_queue: str
) -> None:
    handle = await start(client, "routed_reject", task_queue)
    await decide(handle, await open_task(handle, "approve"), "reject", "alice")

    second = await open_task(handle, "second_opinion")
    assert second.candidate_groups == ["directors"]
    await decide(handle, second, "approve", "dora", groups=["directors"])

    final = await handle.result()
    assert (final.status, final.outcome) == ("completed", "approved")


async def test_group_task_is_claimed_then_approved_by_the_claimer_only(
    client: Client, worker: Worker, task_queue: str
) -> None:
    handle = await start(client, "group_task", task_queue)
    task = await open_task(handle, "review")

    claimed = await decide(handle, task, "claim", "fay", groups=["finance"])
    assert claimed.task.claimed_by == "fay"
    with pytest.raises(WorkflowUpdateFailedError) as err:
        await decide(handle, task, "approve", "carol")  # a candidate, but fay claimed it
    assert err.value.cause.type == ErrorType.NOT_ALLOWED  # type: ignore[attr-defined]
    await decide(handle, task, "approve", "fay", groups=["finance"])

    final = await handle.result()
    assert final.outcome == "approved"
    assert timeline_events(final) == ["started", "task_opened", "claimed", "approved", "completed"]


async def test_candidate_may_approve_without_claiming(
    client: Client, worker: Worker, task_queue: str
) -> None:
    handle = await start(client, "group_task", task_queue)
    await decide(handle, await open_task(handle, "review"), "approve", "gus", groups=["finance"])
    assert (await handle.result()).outcome == "approved"


@pytest.mark.parametrize(
    ("task_id", "action", "actor", "groups", "error"),
    [
        ("approve-1", "approve", "mallory", [], ErrorType.NOT_ALLOWED),
        ("approve-1", "approve", "mallory", ["finance"], ErrorType.NOT_ALLOWED),
        ("approve-9", "approve", "alice", [], ErrorType.TASK_NOT_FOUND),
        ("approve-1", "claim", "alice", [], ErrorType.ILLEGAL_ACTION),
    ],
)
async def test_refused_decision_leaves_no_event_in_history(
    client: Client,
    worker: Worker,
    task_queue: str,
    task_id: str,
    action: str,
    actor: str,
    groups: list[str],
    error: str,
) -> None:
    handle = await start(client, "approval", task_queue, variables={"approver": "alice"})
    await open_task(handle, "approve")
    before = await history_length(handle)

    with pytest.raises(WorkflowUpdateFailedError) as err:
        await decide(handle, task_id, action, actor, groups=groups)

    assert err.value.cause.type == error  # type: ignore[attr-defined]
    assert await history_length(handle) == before
    assert (await state(handle)).status == "running"


async def test_deciding_a_closed_task_is_refused_as_not_open(
    client: Client, worker: Worker, task_queue: str
) -> None:
    handle = await start(client, "routed_reject", task_queue)
    task = await open_task(handle, "approve")
    await decide(handle, task, "reject", "alice")
    await open_task(handle, "second_opinion")

    with pytest.raises(WorkflowUpdateFailedError) as err:
        await decide(handle, task, "approve", "alice")
    assert err.value.cause.type == ErrorType.NOT_OPEN  # type: ignore[attr-defined]


async def test_open_task_is_published_to_the_inbox_and_withdrawn_on_completion(
    client: Client, worker: Worker, task_queue: str
) -> None:
    handle = await start(client, "group_task", task_queue)
    task = await open_task(handle, "review")

    async def inbox_shows_the_task() -> None:
        desc = await handle.describe()
        assert desc.typed_search_attributes.get(sa.PENDING_ACTORS) == [
            "group:finance",
            "user:carol",
        ]
        assert desc.typed_search_attributes.get(sa.STATUS) == "running"
        memo = await desc.memo_value("tasks")
        assert [t["task_id"] for t in memo] == [task.task_id]

    await assert_eventually(inbox_shows_the_task)
    visible = await assert_eventually(lambda: _listed(client, "group:finance", handle.id))
    assert visible

    await decide(handle, task, "claim", "carol")
    desc = await handle.describe()
    assert desc.typed_search_attributes.get(sa.PENDING_ACTORS) == ["user:carol"]

    await decide(handle, task, "approve", "carol")
    await handle.result()
    desc = await handle.describe()
    assert desc.typed_search_attributes.get(sa.STATUS) == "completed"
    assert not desc.typed_search_attributes.get(sa.PENDING_ACTORS)


async def _listed(client: Client, actor: str, workflow_id: str) -> bool:
    query = f"ShenpiPendingActors = '{actor}' AND WorkflowId = '{workflow_id}'"
    found = [w.id async for w in client.list_workflows(query)]
    assert found == [workflow_id]
    return True


async def test_signal_decision_applies_once_per_idempotency_key(
    client: Client, worker: Worker, task_queue: str
) -> None:
    from shenpi_core.contracts import SIGNAL_DECIDE, DecisionInput, DecisionSignal

    handle = await start(client, "rework_loop", task_queue)
    task = await open_task(handle, "approve")
    signal = DecisionSignal(
        decision=DecisionInput(task_id=task.task_id, action="reject", actor="mia"),
        idempotency_key="wx-msg-1",
    )
    await handle.signal(SIGNAL_DECIDE, signal)
    await handle.signal(SIGNAL_DECIDE, signal)  # a redelivery

    rework = await open_task(handle, "rework")
    assert rework.assignee == "ida"  # the initiator, via shenpi:initiator="requester"
    current: InstanceState = await state(handle)
    assert timeline_events(current).count("rejected") == 1
    assert current.timeline[-2].details == {"signal_key": "wx-msg-1"}
