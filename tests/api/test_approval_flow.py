"""End to end over HTTP: deploy, start, inbox, decide, read the outcome (real worker and server)."""

from __future__ import annotations

from typing import Any

import httpx

from tests.api import bpmn
from tests.api.conftest import Stack, unique
from tests.helpers import assert_eventually


async def _deploy(stack: Stack, xml: bytes) -> dict[str, Any]:
    async with stack.http("ops", ["admin"]) as http:
        response = await http.post("/api/v1/definitions", content=xml)
    assert response.status_code in (200, 201), response.text
    body: dict[str, Any] = response.json()
    return body


async def _start(http: httpx.AsyncClient, process_id: str, **body: Any) -> dict[str, Any]:
    response = await http.post(f"/api/v1/processes/{process_id}/instances", json=body)
    assert response.status_code == 201, response.text
    started: dict[str, Any] = response.json()
    return started


async def _inbox_of(http: httpx.AsyncClient, instance_id: str) -> list[dict[str, Any]]:
    response = await http.get("/api/v1/tasks")
    assert response.status_code == 200, response.text
    return [t for t in response.json()["data"] if t["instance_id"] == instance_id]


async def _eventually_in_inbox(http: httpx.AsyncClient, instance_id: str) -> dict[str, Any]:
    async def one_task() -> dict[str, Any]:
        tasks = await _inbox_of(http, instance_id)
        assert len(tasks) == 1, tasks
        return tasks[0]

    return await assert_eventually(one_task)


def _decision(instance_id: str, task_id: str) -> str:
    return f"/api/v1/instances/{instance_id}/tasks/{task_id}/decision"


async def test_assigned_task_reaches_only_its_assignee_who_approves_to_completion(
    stack: Stack,
) -> None:
    process_id = unique("expense")
    alice, bob, ivan = unique("alice"), unique("bob"), unique("ivan")
    await _deploy(stack, bpmn.single_approval(process_id))
    initiator, approver, stranger = stack.http(ivan), stack.http(alice), stack.http(bob)
    async with initiator, approver, stranger:
        started = await _start(initiator, process_id, variables={"manager": alice, "amount": 120})
        instance_id = started["instance_id"]
        assert started == {
            "instance_id": instance_id,
            "process_id": process_id,
            "version": 1,
            "priority": "normal",
        }
        assert instance_id.startswith(f"{process_id}:")

        task = await _eventually_in_inbox(approver, instance_id)
        assert (task["node_id"], task["process_id"], task["assignee"]) == (
            "approve",
            process_id,
            alice,
        )
        assert task["name"] == "Manager approval" and task["ref"] and task["ai"] is None
        assert await _inbox_of(stranger, instance_id) == []

        events_before = await stack.history_length(instance_id)
        refused = await stranger.post(
            _decision(instance_id, task["task_id"]), json={"action": "approve"}
        )
        assert refused.status_code == 403, refused.text
        assert refused.json()["error"]["code"] == "forbidden"
        assert await stack.history_length(instance_id) == events_before  # no trace at all
        assert (await stranger.get(f"/api/v1/instances/{instance_id}")).status_code == 403

        approved = await approver.post(
            _decision(instance_id, task["task_id"]),
            json={"action": "approve", "comment": "fine"},
        )
        assert approved.status_code == 200, approved.text
        decision = approved.json()
        assert decision["accepted"] is True
        assert decision["task"]["status"] == "completed"
        assert decision["task"]["outcome"] == "approved"
        assert decision["instance_status"] == "completed"

        state = (await initiator.get(f"/api/v1/instances/{instance_id}")).json()
        assert (state["status"], state["outcome"], state["version"]) == ("completed", "approved", 1)
        assert state["variables"]["amount"] == 120
        assert state["initiator"] == ivan
        timeline = [(e["event"], e["node_id"], e["actor"]) for e in state["timeline"]]
        assert timeline == [
            ("started", None, ivan),
            ("task_opened", "approve", None),
            ("approved", "approve", alice),
            ("completed", None, None),
        ]
        approval = state["timeline"][2]
        assert (approval["task_id"], approval["comment"]) == (task["task_id"], "fine")
        assert state["timeline"][-1]["details"] == {"outcome": "approved"}
        assert [t["status"] for t in state["tasks"]] == ["completed"]
        # The approver may read the instance too: she was an actor of one of its tasks.
        assert (await approver.get(f"/api/v1/instances/{instance_id}")).status_code == 200

        async def inbox_emptied() -> None:
            assert await _inbox_of(approver, instance_id) == []

        await assert_eventually(inbox_emptied)
        metrics = (await initiator.get("/metrics")).text
    assert 'shenpi_decisions_total{action="approve"} 1.0' in metrics
    assert "shenpi_task_wait_seconds_count 1.0" in metrics


async def test_group_task_is_claimed_by_one_member_and_then_only_they_decide(stack: Stack) -> None:
    process_id, group = unique("review"), unique("finance")
    carol, dave, eve = unique("carol"), unique("dave"), unique("eve")
    await _deploy(stack, bpmn.group_approval(process_id, group))
    c, d, e = stack.http(carol, [group]), stack.http(dave, [group, "staff"]), stack.http(eve)
    async with c, d, e:
        instance_id = (await _start(e, process_id))["instance_id"]
        task = await _eventually_in_inbox(c, instance_id)
        assert task["candidate_groups"] == [group] and task["claimed_by"] is None
        await _eventually_in_inbox(d, instance_id)
        assert await _inbox_of(e, instance_id) == []  # the initiator is not in the group
        url = _decision(instance_id, task["task_id"])

        assert (await e.post(url, json={"action": "claim"})).status_code == 403
        claimed = await c.post(url, json={"action": "claim"})
        assert claimed.status_code == 200, claimed.text
        assert claimed.json()["task"]["claimed_by"] == carol
        assert claimed.json()["instance_status"] == "running"

        taken = await d.post(url, json={"action": "approve"})
        assert taken.status_code == 403, taken.text

        async def gone_from_daves_inbox() -> None:
            assert await _inbox_of(d, instance_id) == []

        await assert_eventually(gone_from_daves_inbox)
        done = await c.post(url, json={"action": "reject", "comment": "missing receipt"})
        assert done.status_code == 200, done.text
        again = await c.post(url, json={"action": "approve"})
        assert again.status_code == 409
        assert again.json()["error"]["code"] == "instance_closed"  # the reject ended it
        state = (await e.get(f"/api/v1/instances/{instance_id}")).json()
    assert (state["status"], state["outcome"]) == ("completed", "rejected")


async def test_same_business_key_is_409_with_the_existing_instance_id(stack: Stack) -> None:
    process_id = unique("leave")
    key = unique("REQ")
    await _deploy(stack, bpmn.single_approval(process_id))
    async with stack.http(unique("ivan")) as http:
        first = await _start(http, process_id, business_key=key, variables={"manager": "m"})
        second = await http.post(
            f"/api/v1/processes/{process_id}/instances",
            json={"business_key": key, "variables": {"manager": "m"}},
        )
    assert first["instance_id"] == f"{process_id}:{key}"
    assert second.status_code == 409
    error = second.json()["error"]
    assert error["code"] == "already_started"
    assert error["details"]["instance_id"] == first["instance_id"]


async def test_running_instance_keeps_its_version_after_a_redeploy(stack: Stack) -> None:
    process_id, alice = unique("purchase"), unique("alice")
    await _deploy(stack, bpmn.single_approval(process_id, name="First"))
    async with stack.http(alice) as http:
        old = await _start(http, process_id, variables={"manager": alice})
        v2 = await _deploy(stack, bpmn.single_approval(process_id, name="Second"))
        new = await _start(http, process_id, variables={"manager": alice})
        pinned = await _start(http, process_id, version=1, variables={"manager": alice})
        unknown = await http.post(f"/api/v1/processes/{process_id}/instances", json={"version": 9})
        assert v2["version"] == 2
        assert (old["version"], new["version"], pinned["version"]) == (1, 2, 1)
        assert unknown.status_code == 404
        task = await _eventually_in_inbox(http, old["instance_id"])
        decided = await http.post(
            _decision(old["instance_id"], task["task_id"]), json={"action": "approve"}
        )
        assert decided.status_code == 200
        state = (await http.get(f"/api/v1/instances/{old['instance_id']}")).json()
        assert (state["version"], state["status"]) == (1, "completed")

        async def listed() -> list[dict[str, Any]]:
            response = await http.get("/api/v1/instances", params={"process_id": process_id})
            rows: list[dict[str, Any]] = response.json()["data"]
            assert len(rows) == 3
            return rows

        rows = {r["instance_id"]: r for r in await assert_eventually(listed)}
    assert rows[old["instance_id"]]["version"] == 1
    assert rows[new["instance_id"]]["version"] == 2
    assert rows[new["instance_id"]]["initiator"] == alice


async def test_same_idempotency_key_twice_takes_effect_once_with_the_same_answer(
    stack: Stack,
) -> None:
    process_id, alice = unique("idem"), unique("alice")
    await _deploy(stack, bpmn.single_approval(process_id))
    async with stack.http(alice) as http:
        instance_id = (await _start(http, process_id, variables={"manager": alice}))["instance_id"]
        task = await _eventually_in_inbox(http, instance_id)
        url = _decision(instance_id, task["task_id"])
        headers = {"Idempotency-Key": "click-1"}
        first = await http.post(url, json={"action": "approve"}, headers=headers)
        events_after_first = await stack.closed_history_length(instance_id)
        second = await http.post(url, json={"action": "approve"}, headers=headers)
        other_key = await http.post(
            url, json={"action": "approve"}, headers={"Idempotency-Key": "click-2"}
        )
        state = (await http.get(f"/api/v1/instances/{instance_id}")).json()
    assert first.status_code == second.status_code == 200
    assert second.json() == first.json()
    assert await stack.history_length(instance_id) == events_after_first
    assert other_key.status_code == 409  # a new decision on a decided task of an ended instance
    assert [e["event"] for e in state["timeline"]].count("approved") == 1


async def test_instance_list_shows_others_only_what_concerns_them(stack: Stack) -> None:
    process_id, alice, ivan, bob = unique("listed"), unique("alice"), unique("ivan"), unique("b")
    await _deploy(stack, bpmn.single_approval(process_id))
    initiator, approver, stranger = stack.http(ivan), stack.http(alice), stack.http(bob)
    admin = stack.http(unique("root"), ["admin"])
    async with initiator, approver, stranger, admin:
        instance_id = (await _start(initiator, process_id, variables={"manager": alice}))[
            "instance_id"
        ]

        async def ids(http: httpx.AsyncClient, **params: Any) -> list[str]:
            response = await http.get(
                "/api/v1/instances", params={"process_id": process_id, **params}
            )
            assert response.status_code == 200, response.text
            return [r["instance_id"] for r in response.json()["data"]]

        async def visible_to_approver() -> None:
            assert await ids(approver) == [instance_id]  # pending actor

        await assert_eventually(visible_to_approver)
        assert await ids(initiator, mine="true") == [instance_id]
        assert await ids(initiator, status="running") == [instance_id]
        assert await ids(initiator, status="completed") == []
        assert await ids(admin) == [instance_id]
        assert await ids(stranger) == []
        assert await ids(approver, mine="true") == []
        bad_status = await initiator.get("/api/v1/instances", params={"status": "bogus"})
    assert bad_status.status_code == 400
