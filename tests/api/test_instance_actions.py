"""Withdraw, cancel and urge over HTTP (the update ``instance_action``), and archived reads."""

from __future__ import annotations

from pathlib import Path

from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.workflowservice.v1 import DeleteWorkflowExecutionRequest
from temporalio.service import RPCError, RPCStatusCode
from temporalio.testing import WorkflowEnvironment

from shenpi.db.archive import archive_instance
from shenpi_core.contracts import QUERY_STATE, InstanceState
from tests.api import bpmn
from tests.api.conftest import Stack, api_settings, running_stack, unique
from tests.api.flows import act, decided, deploy, ended, events, start, state, task_of
from tests.helpers import assert_eventually


async def _single(stack: Stack) -> tuple[str, str, str]:
    """A running single-approval instance: (instance id, initiator, approver)."""
    process_id, ivan, alice = unique("act"), unique("ivan"), unique("alice")
    await deploy(stack, bpmn.single_approval(process_id))
    async with stack.http(ivan) as initiator:
        instance_id = await start(initiator, process_id, variables={"manager": alice})
    return instance_id, ivan, alice


async def test_only_the_initiator_withdraws_and_urges_and_approvers_may_not_cancel(
    stack: Stack,
) -> None:
    instance_id, ivan, alice = await _single(stack)
    async with stack.http(alice) as approver, stack.http(ivan) as initiator:
        await task_of(approver, instance_id)
        events_before = await stack.history_length(instance_id)
        for action in ("withdraw", "urge", "cancel"):
            refused = await act(approver, instance_id, action)
            assert refused.status_code == 403, (action, refused.text)
            assert refused.json()["error"]["code"] == "forbidden"
        assert await stack.history_length(instance_id) == events_before  # refusals leave no trace
        body = await state(initiator, instance_id)
    assert body["status"] == "running"


async def test_cancel_by_the_initiator_records_who_and_why_and_closes_the_tasks(
    stack: Stack,
) -> None:
    instance_id, ivan, alice = await _single(stack)
    async with stack.http(ivan) as initiator, stack.http(alice) as approver:
        await task_of(approver, instance_id)
        cancelled = await act(initiator, instance_id, "cancel", json={"reason": "bought it"})
        assert cancelled.status_code == 200, cancelled.text
        assert cancelled.json()["instance_status"] == "cancelled"
        again = await act(initiator, instance_id, "cancel")
        body = await ended(initiator, instance_id)
    assert again.status_code == 409
    assert (body["status"], body["outcome"]) == ("cancelled", "cancelled")
    entry = next(e for e in body["timeline"] if e["event"] == "cancelled")
    assert (entry["actor"], entry["comment"]) == (ivan, "bought it")
    assert [t["status"] for t in body["tasks"]] == ["cancelled"]


async def test_an_admin_cancels_any_instance_and_is_named_in_the_timeline(stack: Stack) -> None:
    instance_id, ivan, _ = await _single(stack)
    async with stack.http("root", ["admin"]) as admin, stack.http(ivan) as initiator:
        cancelled = await act(admin, instance_id, "cancel")
        assert cancelled.status_code == 200, cancelled.text
        body = await ended(initiator, instance_id)
    assert ("cancelled", "root") in events(body)


async def test_force_cancel_is_for_admins_and_goes_through_temporal(stack: Stack) -> None:
    instance_id, ivan, _ = await _single(stack)
    async with stack.http(ivan) as initiator, stack.http("root", ["admin"]) as admin:
        refused = await act(initiator, instance_id, "cancel", params={"force": "true"})
        forced = await act(admin, instance_id, "cancel", params={"force": "true"})
        assert refused.status_code == 403
        assert forced.status_code == 200, forced.text
        assert forced.json()["forced"] is True
        body = await ended(initiator, instance_id)
    assert body["status"] == "cancelled"


async def test_urge_notifies_the_approver_and_a_second_urge_is_429_with_retry_after(
    stack: Stack,
) -> None:
    instance_id, ivan, alice = await _single(stack)
    async with stack.http(ivan) as initiator, stack.http(alice) as approver:
        await task_of(approver, instance_id)
        urged = await act(initiator, instance_id, "urge", json={"comment": "please"})
        assert urged.status_code == 200, urged.text
        assert urged.json()["notified"] == [alice]
        flooded = [await act(initiator, instance_id, "urge") for _ in range(3)]
        body = await state(initiator, instance_id)
    for response in flooded:
        assert response.status_code == 429, response.text
        assert response.json()["error"]["code"] == "rate_limited"
        # The default interval is 600 s and the first urge was just now.
        assert 500 < int(response.headers["Retry-After"]) <= 600
    assert [e for e in events(body) if e[0] == "urged"] == [("urged", ivan)]


async def test_a_repeated_urge_with_the_same_idempotency_key_returns_the_first_answer(
    stack: Stack,
) -> None:
    instance_id, ivan, alice = await _single(stack)
    async with stack.http(ivan) as initiator, stack.http(alice) as approver:
        await task_of(approver, instance_id)
        headers = {"Idempotency-Key": "urge-1"}
        first = await act(initiator, instance_id, "urge", headers=headers)
        second = await act(initiator, instance_id, "urge", headers=headers)
    assert (first.status_code, second.status_code) == (200, 200)
    assert first.json() == second.json()


async def test_actions_on_unknown_or_ended_instances_are_404_and_409(stack: Stack) -> None:
    instance_id, ivan, alice = await _single(stack)
    async with stack.http(ivan) as initiator, stack.http(alice) as approver:
        task = await task_of(approver, instance_id)
        await decided(approver, instance_id, task["task_id"], "approve")
        await ended(initiator, instance_id)
        missing = await act(initiator, f"{instance_id}-nope", "withdraw")
        closed = [await act(initiator, instance_id, a) for a in ("withdraw", "cancel", "urge")]
    assert missing.status_code == 404
    assert [r.status_code for r in closed] == [409, 409, 409]


async def test_a_short_urge_interval_from_settings_reaches_the_instance(
    temporal_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    settings = api_settings(tmp_path, urge_min_interval_seconds=1)
    async with running_stack(temporal_env, settings) as stack:
        instance_id, ivan, alice = await _single(stack)
        async with stack.http(ivan) as initiator, stack.http(alice) as approver:
            await task_of(approver, instance_id)
            assert (await act(initiator, instance_id, "urge")).status_code == 200

            async def urged_again() -> None:
                response = await act(initiator, instance_id, "urge")
                assert response.status_code == 200, response.text

            await assert_eventually(urged_again, timeout=10, interval=0.5)
            body = await state(initiator, instance_id)
    assert [e for e in events(body) if e[0] == "urged"] == [("urged", ivan)] * 2


async def test_an_instance_gone_from_temporal_is_served_from_the_archive(stack: Stack) -> None:
    instance_id, ivan, alice = await _single(stack)
    handle = stack.temporal.get_workflow_handle(instance_id)
    async with stack.http(alice) as approver:
        await task_of(approver, instance_id)
    snapshot = await handle.query(QUERY_STATE, result_type=InstanceState)
    snapshot = snapshot.model_copy(update={"status": "cancelled", "outcome": "cancelled"})
    async with stack.app.state.sessions() as session:
        await archive_instance(session, instance_id, snapshot, archived_at=snapshot.timeline[0].at)
    await handle.terminate("retention stands in")
    async with stack.http(ivan) as initiator:
        closed = await state(initiator, instance_id)
    assert (closed["archived"], closed["status"]) == (True, "cancelled")  # the archive wins
    await stack.temporal.workflow_service.delete_workflow_execution(
        DeleteWorkflowExecutionRequest(
            namespace=stack.temporal.namespace,
            workflow_execution=WorkflowExecution(workflow_id=instance_id),
        )
    )

    async def deleted() -> None:
        try:
            await handle.describe()
        except RPCError as err:
            assert err.status == RPCStatusCode.NOT_FOUND
        else:
            raise AssertionError("still in Temporal")

    await assert_eventually(deleted, timeout=60, interval=0.5)
    async with (
        stack.http(ivan) as initiator,
        stack.http("stranger") as stranger,
        stack.http(ivan) as again,
    ):
        body = await state(initiator, instance_id)
        forbidden = await stranger.get(f"/api/v1/instances/{instance_id}")
        unknown = await again.get(f"/api/v1/instances/{instance_id}-never")
    assert body["archived"] is True
    assert (body["status"], body["outcome"], body["initiator"]) == ("cancelled", "cancelled", ivan)
    assert [e["event"] for e in body["timeline"]] == ["started", "task_opened"]
    assert forbidden.status_code == 403
    assert unknown.status_code == 404
