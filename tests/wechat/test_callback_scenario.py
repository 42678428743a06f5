"""A purchase request decided in WeChat end to end, as issue 5 tells it: the manager is notified
with a card (the default notification when a task opens), the click approves and the card
updates, finance is notified, a text "驳回 <ref> 超预算" rejects, the initiator gets the outcome."""

from __future__ import annotations

from pathlib import Path

from temporalio.testing import WorkflowEnvironment

from tests.api import flows
from tests.api.conftest import running_stack, unique
from tests.helpers import assert_eventually
from tests.wechat.callbacks import WorkCallbacks, click_xml, wechat_settings
from tests.wechat.work_server import Sent, WorkServer


def purchase(process_id: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL"'
        ' xmlns:shenpi="http://shenpi.dev/schema/bpmn/1.0" targetNamespace="http://t">\n'
        f'<process id="{process_id}" name="Purchase" isExecutable="true">\n'
        '  <startEvent id="start"/>\n'
        '  <sequenceFlow id="f1" sourceRef="start" targetRef="manager"/>\n'
        '  <userTask id="manager" name="Manager approval" shenpi:assignee="${manager}"/>\n'
        '  <sequenceFlow id="f2" sourceRef="manager" targetRef="finance"/>\n'
        '  <userTask id="finance" name="Finance review" shenpi:candidateGroups="finance"/>\n'
        '  <sequenceFlow id="f3" sourceRef="finance" targetRef="end"/>\n'
        '  <endEvent id="end"/>\n'
        "</process>\n</definitions>\n"
    ).encode()


async def test_a_card_from_the_worker_approves_and_finance_rejects_by_text(
    temporal_env: WorkflowEnvironment, tmp_path: Path, wechat_work_server: WorkServer
) -> None:
    settings = wechat_settings(tmp_path, wechat_work_server.url)
    async with running_stack(temporal_env, settings) as stack:
        process_id = unique("wx_purchase")
        await flows.deploy(stack, purchase(process_id))
        async with stack.http("alice") as http:
            instance_id = await flows.start(http, process_id, variables={"manager": "bob"})
        async with stack.http("bob") as http:
            manager_task = await flows.task_of(http, instance_id)

        async def card() -> Sent:
            # bob's WeChat Work userid is WX_BOB in the directory: the card goes there.
            cards = [s for s in wechat_work_server.sent_to("WX_BOB") if s.response_code]
            assert len(cards) == 1, wechat_work_server.sent
            return cards[0]

        sent = await assert_eventually(card)
        approve_key = sent.card["button_list"][0]["key"]
        wechat = WorkCallbacks(stack)

        click = click_xml("WX_BOB", approve_key, sent.card["task_id"], str(sent.response_code))
        clicked = wechat.reply(await wechat.post(click))["Content"]

        assert clicked == f"已同意：Manager approval（{manager_task['ref']}）。"

        async def card_updated() -> None:
            assert len(wechat_work_server.updates) == 1

        await assert_eventually(card_updated)
        update = wechat_work_server.updates[0]
        assert (update["userids"], update["response_code"]) == (["WX_BOB"], sent.response_code)
        assert update["template_card"]["replace_text"] == "已同意 by bob"
        assert update["template_card"]["task_id"] == sent.card["task_id"]

        async with stack.http("carol", ["finance"]) as http:
            finance_task = await flows.task_of(http, instance_id, node_id="finance")

        async def finance_notified() -> None:
            (notice,) = [s for s in wechat_work_server.sent_to("carol") if s.response_code]
            assert finance_task["ref"] in str(notice.card)

        await assert_eventually(finance_notified)
        rejected = await wechat.say("carol", f"驳回 {finance_task['ref']} 超预算")

        assert rejected == f"已驳回：Finance review（{finance_task['ref']}）。"
        async with stack.http("alice") as http:
            body = await flows.ended(http, instance_id)
        assert body["outcome"] == "rejected"
        assert [(e, a) for e, a in flows.events(body) if e in ("approved", "rejected")] == [
            ("approved", "bob"),
            ("rejected", "carol"),
        ]

        async def outcome_told() -> None:
            texts = [s.text for s in wechat_work_server.sent_to("alice") if s.text]
            assert len(texts) == 1, texts
            assert "已驳回" in texts[0] and instance_id in texts[0]

        await assert_eventually(outcome_told)
