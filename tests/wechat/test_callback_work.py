"""/wechat/work: URL verification, card clicks and text commands decide, once, as the sender."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest_asyncio
from temporalio.api.enums.v1 import EventType
from temporalio.testing import WorkflowEnvironment

from tests.api import flows
from tests.api.bpmn import single_approval
from tests.api.conftest import Stack, running_stack, unique
from tests.helpers import assert_eventually
from tests.wechat.callbacks import (
    WorkCallbacks,
    click_xml,
    msg_id,
    quiet_history_length,
    send_card,
    wechat_settings,
)
from tests.wechat.work_server import WorkServer

BOB = "WX_BOB"  # bob's WeChat Work userid in the directory


@pytest_asyncio.fixture
async def stack(
    temporal_env: WorkflowEnvironment, tmp_path: Path, wechat_work_server: WorkServer
) -> AsyncIterator[Stack]:
    settings = wechat_settings(tmp_path, wechat_work_server.url)
    async with running_stack(temporal_env, settings) as s:
        yield s


async def open_task(stack: Stack, approver: str = "bob") -> tuple[str, dict[str, object]]:
    """An instance started by alice whose one task waits for ``approver``."""
    process_id = unique("wx")
    await flows.deploy(stack, single_approval(process_id))
    async with stack.http("alice") as http:
        instance_id = await flows.start(http, process_id, variables={"manager": approver})
    async with stack.http(approver) as http:
        task = await flows.task_of(http, instance_id)
    return instance_id, task


async def updates_in_history(stack: Stack, instance_id: str) -> int:
    history = await stack.temporal.get_workflow_handle(instance_id).fetch_history()
    accepted = EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED
    return sum(1 for e in history.events if e.event_type == accepted)


async def test_url_verification_answers_the_decrypted_echo(stack: Stack) -> None:
    wechat = WorkCallbacks(stack)
    ts, nonce = str(int(time.time())), "verify-nonce"
    echostr, sig = wechat.echo("echo-1234567", nonce, ts)
    params = {"msg_signature": sig, "timestamp": ts, "nonce": nonce, "echostr": echostr}
    async with stack.http() as http:
        good = await http.get("/wechat/work", params=params)
        forged = await http.get("/wechat/work", params={**params, "msg_signature": "0" * 40})
    assert (good.status_code, good.text) == (200, "echo-1234567")
    assert forged.status_code == 403


async def test_a_card_click_approves_once_after_three_deliveries_and_updates_the_card(
    stack: Stack, wechat_work_server: WorkServer
) -> None:
    instance_id, task = await open_task(stack)
    key_base = f"{instance_id}|{task['task_id']}"
    card_id = f"{str(task['ref']).upper()}_3f9a01"  # the ref + a suffix, as notify sends it
    code = await send_card(wechat_work_server, stack.settings, BOB, key_base, card_id)
    wechat = WorkCallbacks(stack)
    click = click_xml(BOB, f"approve|{key_base}", card_id, code)

    replies = [wechat.reply(await wechat.post(click))["Content"] for _ in range(3)]

    assert replies[0] == f"已同意：Manager approval（{task['ref']}）。"
    assert all(r.startswith("已同意") for r in replies), replies
    assert await updates_in_history(stack, instance_id) == 1
    async with stack.http("alice") as http:
        body = await flows.ended(http, instance_id)
    assert body["outcome"] == "approved"
    assert flows.events(body).count(("approved", "bob")) == 1

    async def card_updated() -> None:
        assert len(wechat_work_server.updates) == 1, wechat_work_server.updates

    await assert_eventually(card_updated)
    update = wechat_work_server.updates[0]
    assert update["response_code"] == code
    assert update["userids"] == [BOB]
    assert update["template_card"]["task_id"] == card_id
    assert update["template_card"]["replace_text"] == "已同意 by bob"


async def test_three_concurrent_deliveries_of_a_click_decide_and_update_the_card_once(
    stack: Stack, wechat_work_server: WorkServer
) -> None:
    instance_id, task = await open_task(stack)
    key_base = f"{instance_id}|{task['task_id']}"
    card_id = f"{task['ref']}_c0ffee"
    code = await send_card(wechat_work_server, stack.settings, BOB, key_base, card_id)
    wechat = WorkCallbacks(stack)
    click = click_xml(BOB, f"approve|{key_base}", card_id, code)

    responses = await asyncio.gather(*(wechat.post(click) for _ in range(3)))

    assert all(wechat.reply(r)["Content"].startswith("已同意") for r in responses)
    assert await updates_in_history(stack, instance_id) == 1

    async def card_updated() -> None:
        assert len(wechat_work_server.updates) == 1
        assert len(wechat_work_server.calls_to("message/update_template_card", ok=False)) == 1

    await assert_eventually(card_updated)


async def test_text_commands_approve_and_reject_with_comments(stack: Stack) -> None:
    approved_id, approved = await open_task(stack)
    rejected_id, rejected = await open_task(stack)
    wechat = WorkCallbacks(stack)

    missing = await wechat.say(BOB, f"驳回 {rejected['ref']}")
    yes = await wechat.say(BOB, f"同意 {str(approved['ref']).upper()} 可以，按预算执行")
    no = await wechat.say(BOB, f"reject {rejected['ref']} over budget")

    assert "理由" in missing
    assert yes == f"已同意：Manager approval（{approved['ref']}）。"
    assert no == f"Rejected: Manager approval ({rejected['ref']})."
    async with stack.http("alice") as http:
        yes_body = await flows.ended(http, approved_id)
        no_body = await flows.ended(http, rejected_id)
    assert (yes_body["outcome"], no_body["outcome"]) == ("approved", "rejected")
    comments = {e["event"]: e["comment"] for e in yes_body["timeline"] + no_body["timeline"]}
    assert comments["approved"] == "可以，按预算执行"
    assert comments["rejected"] == "over budget"


async def test_a_redelivered_text_command_has_one_effect_and_the_same_reply(stack: Stack) -> None:
    instance_id, task = await open_task(stack)
    wechat = WorkCallbacks(stack)
    message = msg_id()

    first = await wechat.say(BOB, f"approve {task['ref']} fine", msg=message)
    again = await wechat.say(BOB, f"approve {task['ref']} fine", msg=message)

    assert first.startswith("Approved") and again.startswith("Approved"), (first, again)
    assert await updates_in_history(stack, instance_id) == 1


async def test_bad_signature_stale_timestamp_and_replayed_nonce_touch_no_workflow(
    stack: Stack,
) -> None:
    instance_id, task = await open_task(stack)
    wechat = WorkCallbacks(stack)
    before = await quiet_history_length(stack, instance_id)
    command = f"同意 {task['ref']}"

    forged = await wechat.post(_text(BOB, command), bad_signature=True)
    stale = await wechat.post(_text(BOB, command), timestamp=int(time.time()) - 3600)
    first = await wechat.post(_text(BOB, "hello"), nonce="seen-once")
    replayed = await wechat.post(_text(BOB, command), nonce="seen-once")

    assert (forged.status_code, stale.status_code, replayed.status_code) == (403, 403, 403)
    assert first.status_code == 200
    assert [r.json()["error"]["message"] for r in (forged, stale, replayed)] == [
        "bad signature",
        "stale timestamp",
        "replayed nonce",
    ]
    assert await quiet_history_length(stack, instance_id) == before
    async with stack.http("bob") as http:
        assert (await flows.task_of(http, instance_id))["task_id"] == task["task_id"]


async def test_someone_elses_task_or_an_unknown_ref_gets_a_polite_reply(stack: Stack) -> None:
    instance_id, task = await open_task(stack)
    wechat = WorkCallbacks(stack)
    before = await quiet_history_length(stack, instance_id)

    not_yours = await wechat.say("carol", f"同意 {task['ref']}")
    unknown = await wechat.say("carol", "同意 zzzzzz")
    help_text = await wechat.say("carol", "你好")

    assert not_yours == f"抱歉，{task['ref']} 不是您的待办，无法由您处理。"
    assert unknown == "没有找到待办 zzzzzz，请核对通知里的编号。"
    assert "同意 <编号>" in help_text
    assert await quiet_history_length(stack, instance_id) == before


async def test_a_click_by_someone_else_changes_nothing(
    stack: Stack, wechat_work_server: WorkServer
) -> None:
    instance_id, task = await open_task(stack)
    key_base = f"{instance_id}|{task['task_id']}"
    code = await send_card(wechat_work_server, stack.settings, "carol", key_base, "c1")
    wechat = WorkCallbacks(stack)
    before = await quiet_history_length(stack, instance_id)

    reply = wechat.reply(await wechat.post(click_xml("carol", f"reject|{key_base}", "c1", code)))

    assert "不是您的待办" in reply["Content"]
    assert await quiet_history_length(stack, instance_id) == before
    assert wechat_work_server.updates == []


def _text(sender: str, content: str) -> str:
    from tests.wechat.callbacks import text_xml

    return text_xml(sender, content, msg_id())


async def test_a_click_on_a_task_decided_meanwhile_says_so_and_retires_the_card(
    stack: Stack, wechat_work_server: WorkServer
) -> None:
    instance_id, task = await open_task(stack)
    key_base = f"{instance_id}|{task['task_id']}"
    code = await send_card(wechat_work_server, stack.settings, BOB, key_base, "stale-card")
    async with stack.http("bob") as http:
        await flows.decided(http, instance_id, str(task["task_id"]), "approve")
    wechat = WorkCallbacks(stack)

    reply = wechat.reply(await wechat.post(click_xml(BOB, f"reject|{key_base}", "x", code)))

    assert "已经处理过" in reply["Content"]

    async def card_retired() -> None:
        assert [u["template_card"]["replace_text"] for u in wechat_work_server.updates] == [
            "已处理"
        ]

    await assert_eventually(card_retired)
    async with stack.http("alice") as http:
        body = await flows.ended(http, instance_id)
    assert body["outcome"] == "approved"


async def test_a_sender_named_like_a_user_the_directory_gives_another_id_changes_nothing(
    stack: Stack, wechat_work_server: WorkServer
) -> None:
    instance_id, task = await open_task(stack)
    stranger_id, stranger_task = await open_task(stack, approver="mallory")  # not in the directory
    key_base = f"{instance_id}|{task['task_id']}"
    code = await send_card(wechat_work_server, stack.settings, "bob", key_base, "c2")
    wechat = WorkCallbacks(stack)
    before = await quiet_history_length(stack, instance_id)
    stranger_before = await quiet_history_length(stack, stranger_id)

    text = await wechat.say("bob", f"approve {task['ref']}")
    click = wechat.reply(await wechat.post(click_xml("bob", f"approve|{key_base}", "c2", code)))
    unlisted = await wechat.say("mallory", f"approve {stranger_task['ref']}")

    assert text == unlisted
    assert text.startswith("Hello, your WeChat account is not linked"), text
    assert "还没有绑定" in click["Content"]
    assert await quiet_history_length(stack, instance_id) == before
    assert await quiet_history_length(stack, stranger_id) == stranger_before
    assert wechat_work_server.updates == []


async def test_redeliveries_after_an_already_decided_click_update_the_card_once(
    stack: Stack, wechat_work_server: WorkServer
) -> None:
    instance_id, task = await open_task(stack)
    key_base = f"{instance_id}|{task['task_id']}"
    code = await send_card(wechat_work_server, stack.settings, BOB, key_base, "stale-2")
    async with stack.http("bob") as http:
        await flows.decided(http, instance_id, str(task["task_id"]), "approve")
    later_id, later = await open_task(stack)
    later_base = f"{later_id}|{later['task_id']}"
    later_code = await send_card(wechat_work_server, stack.settings, BOB, later_base, "later")
    wechat = WorkCallbacks(stack)
    click = click_xml(BOB, f"reject|{key_base}", "stale-2", code)

    replies = [wechat.reply(await wechat.post(click))["Content"] for _ in range(4)]
    # A click whose card update comes after theirs, were they to update again.
    await wechat.post(click_xml(BOB, f"approve|{later_base}", "later", later_code))

    assert all("已经处理过" in r for r in replies), replies

    async def later_card_updated() -> None:
        assert "later" in [u["template_card"]["task_id"] for u in wechat_work_server.updates]

    await assert_eventually(later_card_updated)
    attempts = wechat_work_server.calls_to("message/update_template_card", ok=False)
    assert len(attempts) == 2, attempts
    assert sorted(u["template_card"]["replace_text"] for u in wechat_work_server.updates) == [
        "已同意 by bob",
        "已处理",
    ]
