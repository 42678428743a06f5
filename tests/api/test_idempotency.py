"""``Idempotency-Key``: a retry takes effect once; a key reused for another request is refused."""

from __future__ import annotations

import asyncio

import httpx

from tests.api import bpmn
from tests.api.conftest import Stack, unique
from tests.api.flows import act, deploy, ended, events, start, state, task_of


async def _single(stack: Stack) -> tuple[str, str, str]:
    """A running single-approval instance: (instance id, initiator, approver)."""
    process_id, ivan, alice = unique("idem"), unique("ivan"), unique("alice")
    await deploy(stack, bpmn.single_approval(process_id))
    async with stack.http(ivan) as initiator:
        instance_id = await start(initiator, process_id, variables={"manager": alice})
    return instance_id, ivan, alice


def _decision_url(instance_id: str, task_id: str) -> str:
    return f"/api/v1/instances/{instance_id}/tasks/{task_id}/decision"


def _assert_reused(response: httpx.Response) -> None:
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "idempotency_key_reused"
    assert error["details"] == {"idempotency_key": "k-1"}


async def test_a_key_reused_to_reject_after_approving_is_422_and_the_approval_stands(
    stack: Stack,
) -> None:
    instance_id, ivan, alice = await _single(stack)
    key = {"Idempotency-Key": "k-1"}
    async with stack.http(alice) as approver, stack.http(ivan) as initiator:
        task = await task_of(approver, instance_id)
        url = _decision_url(instance_id, task["task_id"])
        approved = await approver.post(url, json={"action": "approve"}, headers=key)
        body = await ended(initiator, instance_id)
        events_after = await stack.closed_history_length(instance_id)

        rejected = await approver.post(url, json={"action": "reject", "comment": "no"}, headers=key)
        # The same request, spelled differently (a default sent explicitly), is a retry.
        retried = await approver.post(url, json={"variables": {}, "action": "approve"}, headers=key)

    assert approved.status_code == 200, approved.text
    _assert_reused(rejected)
    assert (retried.status_code, retried.json()) == (200, approved.json())
    assert body["outcome"] == "approved"
    assert await stack.history_length(instance_id) == events_after


async def test_concurrent_requests_under_one_key_have_one_winner(stack: Stack) -> None:
    instance_id, _, alice = await _single(stack)
    key = {"Idempotency-Key": "k-1"}
    async with stack.http(alice) as approver:
        task = await task_of(approver, instance_id)
        url = _decision_url(instance_id, task["task_id"])
        answers = await asyncio.gather(
            approver.post(url, json={"action": "approve"}, headers=key),
            approver.post(url, json={"action": "reject", "comment": "no"}, headers=key),
        )
        final = await ended(approver, instance_id)

    statuses = sorted(a.status_code for a in answers)
    assert statuses == [200, 422], [a.text for a in answers]
    _assert_reused(next(a for a in answers if a.status_code == 422))
    decisions = [e for e in events(final) if e[0] in ("approved", "rejected")]
    assert decisions == [(final["outcome"], alice)]


async def test_instance_actions_check_the_key_too_and_it_is_scoped_by_user(
    stack: Stack,
) -> None:
    instance_id, ivan, alice = await _single(stack)
    key = {"Idempotency-Key": "k-1"}
    async with stack.http(ivan) as initiator, stack.http(alice) as approver:
        task = await task_of(approver, instance_id)
        urged = await act(initiator, instance_id, "urge", headers=key)
        withdrawn = await act(initiator, instance_id, "withdraw", headers=key)
        other_comment = await act(
            initiator, instance_id, "urge", headers=key, json={"comment": "!"}
        )
        # Another user's key of the same spelling is their own.
        decided = await approver.post(
            _decision_url(instance_id, task["task_id"]), json={"action": "approve"}, headers=key
        )
        body = await state(initiator, instance_id)

    assert urged.status_code == 200, urged.text
    _assert_reused(withdrawn)
    _assert_reused(other_comment)
    assert decided.status_code == 200, decided.text
    assert ("withdrawn", ivan) not in events(body)
