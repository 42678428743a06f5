"""Approval scenarios over real HTTP, a real worker, the dev server and SQLite (issue 3).

Each drives the API as people would: deploy a BPMN file, start, find tasks in inboxes, decide,
and read the instance (and its archive) at the end.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from shenpi.db.archive import decisions_of
from tests.api import bpmn
from tests.api.conftest import Stack, unique
from tests.api.flows import (
    act,
    decide,
    decided,
    deploy,
    ended,
    events,
    inbox,
    start,
    state,
    task_of,
)
from tests.helpers import assert_eventually


def _people(n: int) -> list[str]:
    return [unique(f"p{i}") for i in range(n)]


async def _archived(stack: Stack, http: httpx.AsyncClient, instance_id: str) -> dict[str, Any]:
    """The instance as served once the worker archived it."""

    async def served_from_archive() -> dict[str, Any]:
        body = await state(http, instance_id)
        assert body["archived"] is True
        return body

    return await assert_eventually(served_from_archive)


async def test_countersign_rejected_back_to_the_initiator_who_resubmits_and_all_approve(
    stack: Stack,
) -> None:
    process_id, ivan = unique("purchase"), unique("ivan")
    signers = _people(3)
    await deploy(stack, bpmn.purchase_countersign(process_id))
    clients = [stack.http(p) for p in signers]
    async with stack.http(ivan) as initiator, clients[0] as a, clients[1] as b, clients[2] as c:
        variables = {"signers": signers, "amount": 5000, "item": "laptops"}
        instance_id = await start(initiator, process_id, variables=variables)
        first = [await task_of(http, instance_id) for http in (a, b, c)]
        assert {t["mode"] for t in first} == {"all"}
        assert len({t["step_id"] for t in first}) == 1  # one step, one task per approver

        await decided(a, instance_id, first[0]["task_id"], "approve")
        await decided(b, instance_id, first[1]["task_id"], "reject", comment="too expensive")
        # The step is rejected at once: c's task closes and the initiator gets a resubmit task.
        rework = await task_of(initiator, instance_id)
        assert rework["kind"] == "resubmit"
        assert await inbox(c, instance_id) == []
        late = await decide(c, instance_id, first[2]["task_id"], "approve")
        assert late.status_code == 409

        await decided(
            initiator, instance_id, rework["task_id"], "resubmit", variables={"amount": 4000}
        )
        second = [await task_of(http, instance_id) for http in (a, b, c)]
        assert {t["task_id"] for t in second}.isdisjoint({t["task_id"] for t in first})
        for http, task in zip((a, b, c), second, strict=True):
            await decided(http, instance_id, task["task_id"], "approve")

        body = await ended(initiator, instance_id)
        assert (body["status"], body["outcome"]) == ("completed", "approved")
        assert body["variables"]["amount"] == 4000
        timeline = events(body)
        assert ("rejected", signers[1]) in timeline and ("resubmitted", ivan) in timeline
        assert [e for e in timeline if e[0] == "approved"] == [
            ("approved", signers[0]),
            *[("approved", p) for p in signers],
        ]
        archived = await _archived(stack, initiator, instance_id)
    assert archived["outcome"] == "approved"
    async with stack.app.state.sessions() as session:
        decisions = await decisions_of(session, instance_id)
    people_decisions = [(d.actor, d.action) for d in decisions if d.action != "step_passed"]
    assert (signers[1], "rejected") in people_decisions
    assert (ivan, "resubmitted") in people_decisions
    assert sum(1 for d in people_decisions if d[1] == "approved") == 4


async def _vote(stack: Stack, decisions: list[str]) -> tuple[dict[str, Any], list[int]]:
    """A 票签 of 5 at 60 %: voters decide in order until the instance ends."""
    process_id, ivan = unique("vote"), unique("ivan")
    voters = _people(5)
    await deploy(stack, bpmn.vote(process_id))
    async with stack.http(ivan) as initiator:
        instance_id = await start(initiator, process_id, variables={"voters": voters})
        still_open: list[int] = []
        for voter, action in zip(voters, decisions, strict=False):
            async with stack.http(voter) as http:
                task = await task_of(http, instance_id)
                result = await decided(http, instance_id, task["task_id"], action)
            if result["instance_status"] == "running":
                still_open.append(voters.index(voter))
        body = await ended(initiator, instance_id)
        for voter in voters:  # nobody is left with a task
            async with stack.http(voter) as http:

                async def gone(http: httpx.AsyncClient = http) -> None:
                    assert await inbox(http, instance_id) == []

                await assert_eventually(gone)
    return body, still_open


async def test_vote_of_five_at_sixty_percent_passes_with_the_third_approval(stack: Stack) -> None:
    body, still_open = await _vote(stack, ["approve", "reject", "approve", "approve"])
    assert (body["status"], body["outcome"]) == ("completed", "approved")
    assert still_open == [0, 1, 2]  # the fourth decision (third approval) ended it
    assert [t["status"] for t in body["tasks"]].count("completed") == 4


async def test_vote_fails_as_soon_as_sixty_percent_can_no_longer_be_reached(stack: Stack) -> None:
    body, still_open = await _vote(stack, ["reject", "approve", "reject", "reject"])
    assert (body["status"], body["outcome"]) == ("completed", "rejected")
    assert still_open == [0, 1, 2]  # the third reject: at most 2 of 5 could still approve


async def test_transfer_then_delegate_the_delegate_answers_and_the_owner_confirms(
    stack: Stack,
) -> None:
    process_id = unique("handover")
    ivan, alice, bob, erin = unique("ivan"), unique("alice"), unique("bob"), unique("erin")
    await deploy(stack, bpmn.single_approval(process_id))
    async with (
        stack.http(ivan) as initiator,
        stack.http(alice) as a,
        stack.http(bob) as b,
        stack.http(erin) as e,
    ):
        instance_id = await start(initiator, process_id, variables={"manager": alice})
        task = await task_of(a, instance_id)
        task_id = task["task_id"]
        await decided(a, instance_id, task_id, "transfer", to=bob, comment="on leave")
        assert (await task_of(b, instance_id))["assignee"] == bob
        assert await inbox(a, instance_id) == []
        refused = await decide(a, instance_id, task_id, "approve")
        assert refused.status_code == 403

        await decided(b, instance_id, task_id, "delegate", to=erin)
        delegated = await task_of(e, instance_id)
        assert (delegated["delegated_to"], delegated["owner"]) == (erin, bob)
        assert await inbox(b, instance_id) == []
        answer = await decided(e, instance_id, task_id, "approve", comment="checked")
        assert answer["instance_status"] == "running"  # the owner still has to confirm

        back = await task_of(b, instance_id)
        assert back["delegated_to"] is None
        await decided(b, instance_id, task_id, "approve")
        body = await ended(initiator, instance_id)
    assert (body["status"], body["outcome"]) == ("completed", "approved")
    acted = [(event, actor) for event, actor in events(body) if actor in (alice, bob, erin)]
    assert acted == [
        ("transferred", alice),
        ("delegated", bob),
        ("delegation_resolved", erin),
        ("approved", bob),
    ]


async def test_withdraw_before_anyone_acted_ends_withdrawn(stack: Stack) -> None:
    process_id, ivan = unique("withdraw"), unique("ivan")
    signers = _people(2)
    await deploy(stack, bpmn.purchase_countersign(process_id))
    async with stack.http(ivan) as initiator, stack.http(signers[0]) as a:
        instance_id = await start(initiator, process_id, variables={"signers": signers})
        await task_of(a, instance_id)
        withdrawn = await act(initiator, instance_id, "withdraw", json={"comment": "wrong item"})
        assert withdrawn.status_code == 200, withdrawn.text
        body = await ended(initiator, instance_id)
    assert body["outcome"] == "withdrawn"
    assert ("withdrawn", ivan) in events(body)
    assert {t["status"] for t in body["tasks"]} == {"cancelled"}


async def test_withdraw_is_refused_once_an_approver_acted_on_the_step(stack: Stack) -> None:
    process_id, ivan = unique("withdraw"), unique("ivan")
    signers = _people(2)
    await deploy(stack, bpmn.purchase_countersign(process_id))
    async with stack.http(ivan) as initiator, stack.http(signers[0]) as a:
        instance_id = await start(initiator, process_id, variables={"signers": signers})
        task = await task_of(a, instance_id)
        await decided(a, instance_id, task["task_id"], "approve")
        events_before = await stack.history_length(instance_id)
        refused = await act(initiator, instance_id, "withdraw")
        assert refused.status_code == 409, refused.text
        assert refused.json()["error"]["code"] == "already_acted"
        assert await stack.history_length(instance_id) == events_before
        body = await state(initiator, instance_id)
    assert body["status"] == "running"


async def test_racing_approvals_of_an_any_step_one_wins_and_the_other_gets_409(
    stack: Stack,
) -> None:
    process_id, ivan = unique("race"), unique("ivan")
    await deploy(stack, bpmn.any_of(process_id))
    for _ in range(10):
        racers = _people(2)
        async with (
            stack.http(ivan) as initiator,
            stack.http(racers[0]) as a,
            stack.http(racers[1]) as b,
        ):
            instance_id = await start(initiator, process_id, variables={"approvers": racers})
            tasks = [await task_of(http, instance_id) for http in (a, b)]
            responses = await asyncio.gather(
                decide(a, instance_id, tasks[0]["task_id"], "approve"),
                decide(b, instance_id, tasks[1]["task_id"], "approve"),
            )
            body = await ended(initiator, instance_id)
        assert sorted(r.status_code for r in responses) == [200, 409], [r.text for r in responses]
        assert (body["status"], body["outcome"]) == ("completed", "approved")
        assert [e for e in events(body) if e[0] == "approved"] in (
            [("approved", racers[0])],
            [("approved", racers[1])],
        )
