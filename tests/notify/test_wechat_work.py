"""notify on a real worker against the local WeChat Work server: cards, texts, faults, retries."""

from __future__ import annotations

from pathlib import Path

import pytest
from temporalio.client import Client, WorkflowFailureError
from temporalio.exceptions import ActivityError, ApplicationError

from tests.notify.support import TASK, notify, notify_worker, start_notify, work_settings
from tests.wechat.work_server import WorkServer


async def test_task_opened_sends_cards_with_decision_buttons_to_each_approver(
    client: Client, task_queue: str, tmp_path: Path, wechat_work_server: WorkServer
) -> None:
    async with notify_worker(client, task_queue, tmp_path, **work_settings(wechat_work_server)):
        handle = await start_notify(client, task_queue, "task_opened", ["bob", "group:finance"])
        result = (await handle.result())["notify"]

    # bob has a WeChat Work userid in the directory; frank has none, so his user id is used.
    # erin prefers email, which is not configured here: she falls back to the log.
    server = wechat_work_server
    assert sorted(s.to for s in server.sent) == ["WW_BOB", "frank"]
    card = server.sent_to("WW_BOB")[0].card
    instance_id = "purchase-1"
    assert card["card_type"] == "button_interaction"
    assert [(b["text"], b["key"]) for b in card["button_list"]] == [
        ("同意 Approve", f"approve|{instance_id}|Task_Approve-1"),
        ("驳回 Reject", f"reject|{instance_id}|Task_Approve-1"),
    ]
    assert card["task_id"].startswith("K7Q2XM_")
    assert len({s.card["task_id"] for s in server.sent}) == 2  # unique per recipient
    assert "K7Q2XM" in card["sub_title_text"] and "2026-11-23 09:00" in card["sub_title_text"]
    assert (
        card["card_action"]["url"]
        == f"https://shenpi.example/ui/instances/{instance_id}/tasks/Task_Approve-1"
    )
    sent = {e["to"]: e for e in result["sent"]}
    assert sent["bob"]["channel"] == "wechat_work" and sent["bob"]["address"] == "WW_BOB"
    assert sent["bob"]["msgid"] == server.sent_to("WW_BOB")[0].msgid
    assert sent["bob"]["response_code"] == server.sent_to("WW_BOB")[0].response_code
    assert sent["bob"]["task_id"] == "Task_Approve-1"
    assert sent["erin"] == {"to": "erin", "channel": "log", "task_id": "Task_Approve-1"}
    assert result["failed"] == []


async def test_a_resubmit_task_is_announced_as_text_without_decision_buttons(
    client: Client, task_queue: str, tmp_path: Path, wechat_work_server: WorkServer
) -> None:
    resubmit = {**TASK, "kind": "resubmit", "name": "修改后重新提交 Resubmit"}
    async with notify_worker(client, task_queue, tmp_path, **work_settings(wechat_work_server)):
        await notify(client, task_queue, "task_opened", ["ida"], tasks=[resubmit])

    [sent] = wechat_work_server.sent
    assert (sent.to, sent.msgtype) == ("ida", "text")  # no card: approve/reject would be refused
    assert "重新提交" in sent.text and "同意" not in sent.text


async def test_outcome_reaches_the_initiator_as_text(
    client: Client, task_queue: str, tmp_path: Path, wechat_work_server: WorkServer
) -> None:
    async with notify_worker(client, task_queue, tmp_path, **work_settings(wechat_work_server)):
        result = await notify(client, task_queue, "outcome", [], tasks=[], outcome="rejected")

    [sent] = wechat_work_server.sent
    assert (sent.to, sent.msgtype) == ("ida", "text")
    assert "已驳回" in sent.text and "rejected" in sent.text
    assert [e["to"] for e in result["sent"]] == ["ida"]


async def test_expired_token_is_refreshed_and_each_card_sent_once(
    client: Client, task_queue: str, tmp_path: Path, wechat_work_server: WorkServer
) -> None:
    async with notify_worker(client, task_queue, tmp_path, **work_settings(wechat_work_server)):
        await notify(client, task_queue, "task_opened", ["bob"])
        wechat_work_server.expire_tokens()  # between two notifications of one worker
        await notify(client, task_queue, "task_reminder", ["bob", "frank"], reminder=1)

    assert wechat_work_server.token_requests == 2
    assert [s.to for s in wechat_work_server.sent] == ["WW_BOB", "WW_BOB", "frank"]
    refused = [c for c in wechat_work_server.calls_to("message/send", ok=False)]
    assert [c.answer["errcode"] for c in refused] == [0, 42001, 0, 0]


async def test_rate_limit_is_retried_by_temporal_without_resending_to_the_others(
    client: Client, task_queue: str, tmp_path: Path, wechat_work_server: WorkServer
) -> None:
    wechat_work_server.rate_limit(1)  # bob's card; frank's goes through at once
    async with notify_worker(client, task_queue, tmp_path, **work_settings(wechat_work_server)):
        result = await notify(client, task_queue, "urge", ["bob", "frank"], attempts=5)

    answers = [c.answer["errcode"] for c in wechat_work_server.calls_to("message/send", ok=False)]
    assert answers == [45009, 0, 0]  # attempt 1: bob limited, frank sent; attempt 2: bob only
    assert sorted(s.to for s in wechat_work_server.sent) == ["WW_BOB", "frank"]
    assert sorted(e["to"] for e in result["sent"]) == ["bob", "frank"]


async def test_after_a_rate_limit_the_retry_waits_for_the_configured_delay(
    client: Client, task_queue: str, tmp_path: Path, wechat_work_server: WorkServer
) -> None:
    wechat_work_server.rate_limit(1)
    settings = work_settings(wechat_work_server, notify_rate_limit_retry_seconds=3.0)
    async with notify_worker(client, task_queue, tmp_path, **settings):
        handle = await start_notify(client, task_queue, "urge", ["bob"], attempts=5)
        await handle.result()
        history = await handle.fetch_history()

    # The first attempt was refused at once; the second one ran no sooner than the delay.
    started = [
        e.event_time.ToDatetime()
        for e in history.events
        if e.HasField("activity_task_started_event_attributes")
    ]
    scheduled = next(
        e.event_time.ToDatetime()
        for e in history.events
        if e.HasField("activity_task_scheduled_event_attributes")
    )
    (attempts,) = [
        e.activity_task_started_event_attributes.attempt
        for e in history.events
        if e.HasField("activity_task_started_event_attributes")
    ]
    assert attempts == 2
    assert (started[0] - scheduled).total_seconds() >= 3.0
    assert [s.to for s in wechat_work_server.sent] == ["WW_BOB"]


async def test_a_retry_after_several_deliveries_resends_none_of_them(
    client: Client, task_queue: str, tmp_path: Path, wechat_work_server: WorkServer
) -> None:
    # Progress travels in heartbeat details: the last one must reach the next attempt even when
    # it was throttled behind earlier ones.
    wechat_work_server.rate_limit(1, after=3)
    async with notify_worker(client, task_queue, tmp_path, **work_settings(wechat_work_server)):
        result = await notify(
            client, task_queue, "task_opened", ["bob", "frank", "ida", "carol"], attempts=3
        )

    assert [s.to for s in wechat_work_server.sent] == ["WW_BOB", "frank", "ida", "carol"]
    answers = [c.answer["errcode"] for c in wechat_work_server.calls_to("message/send", ok=False)]
    assert answers == [0, 0, 0, 45009, 0]
    assert [e["to"] for e in result["sent"]] == ["bob", "frank", "ida", "carol"]


async def test_api_down_is_retried_then_the_activity_fails(
    client: Client, task_queue: str, tmp_path: Path, wechat_work_server: WorkServer
) -> None:
    wechat_work_server.fail(500)
    async with notify_worker(client, task_queue, tmp_path, **work_settings(wechat_work_server)):
        handle = await start_notify(client, task_queue, "task_opened", ["bob"], attempts=3)
        with pytest.raises(WorkflowFailureError) as err:
            await handle.result()

    assert isinstance(err.value.cause, ActivityError)
    cause = err.value.cause.cause
    assert isinstance(cause, ApplicationError) and cause.type == "NotificationDelayed"
    assert "HTTP 500" in cause.message
    assert wechat_work_server.failed_requests == 3  # the token fetch of each attempt
    assert wechat_work_server.sent == []


async def test_bad_user_id_is_recorded_not_retried_and_others_still_get_their_card(
    client: Client, task_queue: str, tmp_path: Path, wechat_work_server: WorkServer
) -> None:
    wechat_work_server.reject_user("WW_NOBODY")
    async with notify_worker(client, task_queue, tmp_path, **work_settings(wechat_work_server)):
        result = await notify(client, task_queue, "task_opened", ["nobody", "bob"])

    assert [s.to for s in wechat_work_server.sent] == ["WW_BOB"]
    [failed] = result["failed"]
    assert (failed["to"], failed["channel"]) == ("nobody", "wechat_work")
    assert "40003" in failed["error"]
    assert len(wechat_work_server.calls_to("message/send", ok=False)) == 2  # one attempt


async def test_everyone_rejected_fails_for_good_with_the_failures_listed(
    client: Client, task_queue: str, tmp_path: Path, wechat_work_server: WorkServer
) -> None:
    wechat_work_server.reject_user("WW_NOBODY")
    async with notify_worker(client, task_queue, tmp_path, **work_settings(wechat_work_server)):
        handle = await start_notify(client, task_queue, "task_opened", ["nobody"], attempts=5)
        with pytest.raises(WorkflowFailureError) as err:
            await handle.result()

    assert isinstance(err.value.cause, ActivityError)
    cause = err.value.cause.cause
    assert isinstance(cause, ApplicationError) and cause.type == "NotificationRejected"
    assert cause.non_retryable
    [details] = cause.details
    assert [f["to"] for f in details["notify"]["failed"]] == ["nobody"]
    assert len(wechat_work_server.calls_to("message/send", ok=False)) == 1


async def test_unknown_group_is_listed_as_a_failure(
    client: Client, task_queue: str, tmp_path: Path, wechat_work_server: WorkServer
) -> None:
    async with notify_worker(client, task_queue, tmp_path, **work_settings(wechat_work_server)):
        result = await notify(client, task_queue, "task_opened", ["group:nope", "bob"])
    assert [(f["to"], f["channel"]) for f in result["failed"]] == [("group:nope", "directory")]
    assert [s.to for s in wechat_work_server.sent] == ["WW_BOB"]
    assert TASK["ref"] in wechat_work_server.sent[0].card["task_id"]
