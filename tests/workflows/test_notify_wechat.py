"""Default notifications end to end: started through the API with WeChat Work configured, the
worker's real notify activity sends cards and the outcome to the local WeChat Work server."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from temporalio.testing import WorkflowEnvironment

from tests.api import flows
from tests.api.conftest import Stack, running_stack, unique
from tests.helpers import assert_eventually
from tests.wechat.callbacks import wechat_settings
from tests.wechat.conftest import wechat_work_server
from tests.wechat.work_server import Sent, WorkServer

__all__ = ["wechat_work_server"]  # the fixture, for the tests of this module


def purchase(process_id: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL"'
        ' xmlns:shenpi="http://shenpi.dev/schema/bpmn/1.0" targetNamespace="http://t">\n'
        f'<process id="{process_id}" name="Purchase" isExecutable="true">\n'
        '  <startEvent id="start"/>\n'
        '  <userTask id="manager" name="Manager approval" shenpi:assignee="${manager}"/>\n'
        '  <userTask id="finance" name="Finance review" shenpi:candidateGroups="finance"/>\n'
        '  <endEvent id="end"/>\n'
        '  <sequenceFlow id="f1" sourceRef="start" targetRef="manager"/>\n'
        '  <sequenceFlow id="f2" sourceRef="manager" targetRef="finance"/>\n'
        '  <sequenceFlow id="f3" sourceRef="finance" targetRef="end"/>\n'
        "</process>\n</definitions>\n"
    ).encode()


async def _started(stack: Stack) -> str:
    process_id = unique("notify_purchase")
    await flows.deploy(stack, purchase(process_id))
    async with stack.http("alice") as http:
        return await flows.start(http, process_id, variables={"manager": "bob"})


async def test_the_manager_gets_a_card_for_the_open_task_and_the_initiator_the_outcome(
    temporal_env: WorkflowEnvironment, tmp_path: Path, wechat_work_server: WorkServer
) -> None:
    server = wechat_work_server
    async with running_stack(temporal_env, wechat_settings(tmp_path, server.url)) as stack:
        instance_id = await _started(stack)
        async with stack.http("bob") as http:
            task = await flows.task_of(http, instance_id)

        async def card() -> Sent:
            sent = server.sent_to("WX_BOB")  # bob's WeChat Work userid, from the directory
            assert len(sent) == 1, server.sent
            return sent[0]

        sent = await assert_eventually(card)
        assert [b["key"] for b in sent.card["button_list"]] == [
            f"approve|{instance_id}|{task['task_id']}",
            f"reject|{instance_id}|{task['task_id']}",
        ]
        assert sent.card["task_id"].startswith(f"{task['ref']}_")
        assert sent.card["main_title"]["title"] == "【待审批】Manager approval"

        async with stack.http("bob") as http:
            await flows.decided(http, instance_id, task["task_id"], "approve")
        async with stack.http("carol", ["finance"]) as http:
            finance = await flows.task_of(http, instance_id, node_id="finance")

        async def finance_told() -> None:  # the group's member, by their own user id
            assert [s.card["task_id"][:6] for s in server.sent_to("carol")] == [finance["ref"]]

        await assert_eventually(finance_told)
        async with stack.http("carol", ["finance"]) as http:
            await flows.decided(http, instance_id, finance["task_id"], "reject", comment="超预算")
            body = await flows.ended(http, instance_id)

        async def outcome_told() -> None:
            (text,) = [s.text for s in server.sent_to("alice")]
            assert f"您发起的 {instance_id.split(':')[0]} 申请已驳回。" in text

        await assert_eventually(outcome_told)
    assert body["outcome"] == "rejected"
    assert [e for e in body["timeline"] if e["event"] == "notify_failed"] == []


async def test_a_bad_user_id_is_on_the_timeline_and_the_approval_completes_anyway(
    temporal_env: WorkflowEnvironment, tmp_path: Path, wechat_work_server: WorkServer
) -> None:
    server = wechat_work_server
    server.reject_user("WX_BOB")
    async with running_stack(temporal_env, wechat_settings(tmp_path, server.url)) as stack:
        instance_id = await _started(stack)
        async with stack.http("bob") as http:
            task = await flows.task_of(http, instance_id)

        async def recorded() -> list[dict[str, Any]]:
            async with stack.http("alice") as http:
                timeline = (await flows.state(http, instance_id))["timeline"]
            failed = [e for e in timeline if e["event"] == "notify_failed"]
            assert failed, timeline
            return failed

        (failed,) = await assert_eventually(recorded)
        assert failed["task_id"] == task["task_id"]
        assert failed["details"]["to"] == "bob"
        assert failed["details"]["channel"] == "wechat_work"
        assert "40003" in str(failed["details"]["error"])

        async with stack.http("bob") as http:
            await flows.decided(http, instance_id, task["task_id"], "approve")
        async with stack.http("carol", ["finance"]) as http:
            finance = await flows.task_of(http, instance_id, node_id="finance")
            await flows.decided(http, instance_id, finance["task_id"], "approve")
            body = await flows.ended(http, instance_id)

    assert (body["status"], body["outcome"]) == ("completed", "approved")
    assert server.sent_to("WX_BOB") == []
    assert [s.msgtype for s in server.sent_to("alice")] == ["text"]


async def test_wechat_down_is_retried_then_recorded_and_never_blocks_the_approval(
    temporal_env: WorkflowEnvironment, tmp_path: Path, wechat_work_server: WorkServer
) -> None:
    server = wechat_work_server
    server.stop()  # connection refused: a transient failure, retried by Temporal
    async with running_stack(temporal_env, wechat_settings(tmp_path, server.url)) as stack:
        instance_id = await _started(stack)
        # The people decide while the cards are still being retried.
        async with stack.http("bob") as http:
            task = await flows.task_of(http, instance_id)
            await flows.decided(http, instance_id, task["task_id"], "approve")
        async with stack.http("carol", ["finance"]) as http:
            finance = await flows.task_of(http, instance_id, node_id="finance")
            await flows.decided(http, instance_id, finance["task_id"], "approve")
            body = await flows.ended(http, instance_id)
        assert (body["status"], body["outcome"]) == ("completed", "approved")
        # The execution closes once the notifications still being retried have given up.
        handle = stack.temporal.get_workflow_handle(instance_id)
        final = await asyncio.wait_for(handle.result(), timeout=90)

    failed = [e for e in final["timeline"] if e["event"] == "notify_failed"]
    # Both task cards and the outcome were given up after their retries, and said so.
    assert {e["details"].get("event") for e in failed} >= {"task_opened", "outcome"}, failed
    history = await handle.fetch_history()
    attempts = [
        e.activity_task_started_event_attributes.attempt
        for e in history.events
        if e.HasField("activity_task_started_event_attributes")
    ]
    assert max(attempts) > 1  # retried before giving up
