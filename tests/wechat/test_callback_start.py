"""A chat message starting with a process keyword starts a request as its sender."""

from __future__ import annotations

from pathlib import Path

from temporalio.testing import WorkflowEnvironment

from tests.api import flows
from tests.api.conftest import running_stack, unique
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
