"""A chat message starting with a process keyword starts a request as its sender."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from temporalio.testing import WorkflowEnvironment

from tests.api import flows
from tests.api.conftest import running_stack, unique
from tests.helpers import REPO_ROOT, assert_eventually
from tests.wechat.callbacks import MpCallbacks, WorkCallbacks, msg_id, wechat_settings
from tests.wechat.work_server import WorkServer


def claim_process(process_id: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL"'
        ' xmlns:shenpi="http://shenpi.dev/schema/bpmn/1.0" targetNamespace="http://t">\n'
        f'<process id="{process_id}" name="Expense claim" isExecutable="true">\n'
        '  <startEvent id="start"/>\n'
        '  <sequenceFlow id="f1" sourceRef="start" targetRef="approve"/>\n'
        '  <userTask id="approve" name="Manager approval" shenpi:assignee="bob"/>\n'
        '  <sequenceFlow id="f2" sourceRef="approve" targetRef="end"/>\n'
        '  <endEvent id="end"/>\n'
        "</process>\n</definitions>\n"
    ).encode()


async def test_a_keyword_message_starts_the_process_once_with_extracted_fields(
    temporal_env: WorkflowEnvironment, tmp_path: Path, wechat_work_server: WorkServer
) -> None:
    process_id = unique("wx_claim")
    settings = wechat_settings(
        tmp_path,
        wechat_work_server.url,
        wechat_start_processes=f"报销={process_id}, 采购=not-deployed",
    )
    async with running_stack(temporal_env, settings) as stack:
        await flows.deploy(stack, claim_process(process_id))
        wechat = WorkCallbacks(stack)
        message = msg_id()
        text = "报销 出差北京 住宿3晚 1260元"

        first = await wechat.say("alice", text, msg=message)
        again = await wechat.say("alice", text, msg=message)
        missing = await wechat.say("alice", "采购 笔记本电脑 ¥8,999")

        instance_id = f"{process_id}:wechat:{message}"
        assert first == again == f"已提交申请，编号 {instance_id}。"
        assert missing == "流程 not-deployed 还没有部署，请联系管理员。"
        async with stack.http("alice") as http:
            body = await flows.state(http, instance_id)
            listed = (await http.get("/api/v1/instances", params={"mine": "true"})).json()
        assert body["initiator"] == "alice"
        assert body["business_key"] == f"wechat:{message}"
        assert {k: body["variables"].get(k) for k in ("amount", "nights", "city")} == {
            "amount": 1260,
            "nights": 3,
            "city": "北京",
        }
        assert body["variables"]["description"] == text
        assert [i["instance_id"] for i in listed["data"]].count(instance_id) == 1
        async with stack.http("bob") as http:
            task = await flows.task_of(http, instance_id)
        assert task["name"] == "Manager approval"


async def test_a_follower_starts_a_request_from_the_official_account(
    temporal_env: WorkflowEnvironment, tmp_path: Path, wechat_work_server: WorkServer
) -> None:
    process_id = unique("wx_claim")
    settings = wechat_settings(
        tmp_path, wechat_work_server.url, wechat_start_processes=f"报销={process_id}"
    )
    async with running_stack(temporal_env, settings) as stack:
        await flows.deploy(stack, claim_process(process_id))
        async with stack.http("ops", ["admin"]) as admin:
            await admin.put("/api/v1/wechat/bindings/mp:o-alice", json={"user": "alice"})
        mp = MpCallbacks(stack)

        reply = await mp.say("o-alice", "报销 客户午餐 ¥320")

        assert reply.startswith("已提交申请，编号 ")
        instance_id = reply.removeprefix("已提交申请，编号 ").removesuffix("。")
        async with stack.http("alice") as http:
            body = await flows.state(http, instance_id)
        assert (body["initiator"], body["variables"]["amount"]) == ("alice", 320)


def _documented_keywords() -> str:
    """The keyword setting docs/wechat.md shows (``报销=expense-claim,采购=purchase-approval``)."""
    text = (REPO_ROOT / "docs" / "wechat.md").read_text(encoding="utf-8")
    found = re.search(
        r"`SHENPI_WECHAT_START_PROCESSES` maps keywords to processes: `([^`]+)`", text
    )
    assert found is not None, "docs/wechat.md no longer shows the keyword setting"
    return found.group(1)


async def test_a_message_without_what_the_process_needs_is_refused_and_named(
    temporal_env: WorkflowEnvironment, tmp_path: Path, wechat_work_server: WorkServer
) -> None:
    """The documented 采购=purchase-approval: the shipped process assigns its first task to the
    variable ``manager``, which no message gives. Started anyway, the instance stopped on an
    incident while the sender read "submitted"; now nothing starts and the sender is told."""
    settings = wechat_settings(
        tmp_path, wechat_work_server.url, wechat_start_processes=_documented_keywords()
    )
    async with running_stack(temporal_env, settings) as stack:
        for name in ("purchase-approval", "expense-claim"):
            await flows.deploy(stack, (REPO_ROOT / "processes" / f"{name}.bpmn").read_bytes())
        wechat = WorkCallbacks(stack)
        refused_msg, claim_msg = msg_id(), msg_id()
        refused = await wechat.say("alice", "采购 笔记本电脑 ¥8,999", msg=refused_msg)
        claimed = await wechat.say("alice", "报销 出差北京 住宿3晚 1260元", msg=claim_msg)
        async with stack.http("alice") as http:
            never = await http.get(f"/api/v1/instances/purchase-approval:wechat:{refused_msg}")

            async def waiting_for_a_person() -> dict[str, Any]:
                body = await flows.state(http, f"expense-claim:wechat:{claim_msg}")
                assert any(t["status"] == "open" for t in body["tasks"]), body
                return body

            claim = await assert_eventually(waiting_for_a_person)
    assert refused == (
        "没有提交：流程 purchase-approval 需要 manager，消息里没有。"
        f"请在网页控制台提交：{settings.public_url}/ui/"
    )
    assert never.status_code == 404, never.text
    # A claim brings its amount: it starts, and runs to its first person (no incident).
    assert claimed == f"已提交申请，编号 expense-claim:wechat:{claim_msg}。"
    assert claim["status"] == "running" and claim["incidents"] == [], claim
