"""notify by email (a local aiosmtpd server) and Official Account template messages."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from temporalio.client import Client, WorkflowFailureError
from temporalio.exceptions import ActivityError, ApplicationError, RetryState

from tests.notify.smtp_server import smtp_server
from tests.notify.support import (
    SENDER,
    mail_and_work_worker,
    mp_settings,
    notify,
    notify_worker,
    start_notify,
)
from tests.wechat.fake_api import Answer
from tests.wechat.mp_server import TEMPLATE_ID, MpServer
from tests.wechat.work_server import WorkServer


async def test_user_preferring_email_gets_an_email_with_ref_link_and_headers(
    client: Client, task_queue: str, tmp_path: Path, wechat_work_server: WorkServer
) -> None:
    async with mail_and_work_worker(client, task_queue, tmp_path, wechat_work_server) as smtp:
        result = await notify(client, task_queue, "task_opened", ["group:finance"])

    # erin (channels: [email]) gets email; frank has no preference: WeChat Work.
    assert [s.to for s in wechat_work_server.sent] == ["frank"]
    [mail] = smtp.received
    assert (mail.sender, mail.recipients) == (SENDER, ["erin@example.com"])
    message = mail.message
    assert message["Subject"].startswith("【待审批】经理审批 Manager approval")
    assert "Approval needed" in message["Subject"]
    assert (message["From"], message["To"]) == (SENDER, "erin@example.com")
    assert message["X-Shenpi-Task-Ref"] == "K7Q2XM"
    assert message["X-Shenpi-Instance"] == "purchase-1"
    assert message["X-Shenpi-Event"] == "task_opened"
    assert message["Message-ID"] and message["Date"]
    body = message.get_content()
    assert "同意 K7Q2XM" in body and "approve K7Q2XM" in body
    assert "2026-11-23 09:00 UTC" in body
    assert "https://shenpi.example/ui/instances/purchase-1/tasks/Task_Approve-1" in body
    erin = next(e for e in result["sent"] if e["to"] == "erin")
    assert (erin["channel"], erin["message_id"]) == ("email", message["Message-ID"])


async def test_rejected_wechat_user_falls_back_to_their_next_channel(
    client: Client, task_queue: str, tmp_path: Path, wechat_work_server: WorkServer
) -> None:
    wechat_work_server.reject_user("WW_GHOST")
    async with mail_and_work_worker(client, task_queue, tmp_path, wechat_work_server) as smtp:
        result = await notify(client, task_queue, "outcome", ["ghost"], outcome="approved")

    assert wechat_work_server.sent == []
    assert [m.recipients for m in smtp.received] == [["ghost@example.com"]]
    assert "已通过" in smtp.received[0].message["Subject"]
    assert [(f["to"], f["channel"]) for f in result["failed"]] == [("ghost", "wechat_work")]
    assert [(e["to"], e["channel"]) for e in result["sent"]] == [("ghost", "email")]


async def test_smtp_down_is_retried_by_temporal(
    client: Client, task_queue: str, tmp_path: Path
) -> None:
    with smtp_server() as smtp:
        port = smtp.port
    settings = {"smtp_host": "127.0.0.1", "smtp_port": port, "smtp_starttls": False}
    async with notify_worker(client, task_queue, tmp_path, **settings):
        handle = await start_notify(client, task_queue, "task_opened", ["erin"], attempts=2)
        with pytest.raises(WorkflowFailureError) as err:
            await handle.result()

    assert isinstance(err.value.cause, ActivityError)
    cause = err.value.cause.cause
    assert isinstance(cause, ApplicationError) and cause.type == "NotificationDelayed"
    assert "SMTP" in cause.message and "ConnectionRefusedError" in cause.message
    assert err.value.cause.retry_state == RetryState.MAXIMUM_ATTEMPTS_REACHED


async def test_official_account_follower_gets_a_template_message(
    client: Client, task_queue: str, tmp_path: Path, wechat_mp_server: MpServer
) -> None:
    async with notify_worker(client, task_queue, tmp_path, **mp_settings(wechat_mp_server)):
        result = await notify(client, task_queue, "task_reminder", ["mp_mia"], reminder=1)

    [sent] = wechat_mp_server.sent
    assert (sent["touser"], sent["template_id"]) == ("oMIA123", TEMPLATE_ID)
    assert sent["url"] == "https://shenpi.example/ui/instances/purchase-1/tasks/Task_Approve-1"
    assert sent["data"]["first"]["value"].startswith("【提醒】")
    assert sent["data"]["keyword2"]["value"] == "K7Q2XM"
    assert sent["data"]["keyword3"]["value"] == "2026-11-23 09:00 UTC"
    assert "approve K7Q2XM" in sent["data"]["remark"]["value"]
    [entry] = result["sent"]
    assert (entry["to"], entry["channel"], entry["address"]) == ("mp_mia", "wechat_mp", "oMIA123")


async def test_official_account_refreshes_its_token_and_records_a_bad_openid(
    client: Client, task_queue: str, tmp_path: Path, wechat_mp_server: MpServer
) -> None:
    async with notify_worker(client, task_queue, tmp_path, **mp_settings(wechat_mp_server)):
        await notify(client, task_queue, "outcome", ["mp_mia"], outcome="approved")
        wechat_mp_server.expire_tokens()
        await notify(client, task_queue, "outcome", ["mp_mia"], outcome="rejected")
        wechat_mp_server.reject_user("oMIA123")
        handle = await start_notify(client, task_queue, "outcome", ["mp_mia"], outcome="x")
        with pytest.raises(WorkflowFailureError) as err:
            await handle.result()

    assert wechat_mp_server.token_requests == 2
    assert [m["data"]["first"]["value"] for m in wechat_mp_server.sent] == [
        "【审批结果】purchase-approval：已通过 · Outcome: approved",
        "【审批结果】purchase-approval：已驳回 · Outcome: rejected",
    ]
    assert isinstance(err.value.cause, ActivityError)
    cause = err.value.cause.cause
    assert isinstance(cause, ApplicationError) and cause.type == "NotificationRejected"
    [failed] = cause.details[0]["notify"]["failed"]
    assert (failed["to"], failed["channel"]) == ("mp_mia", "wechat_mp")
    assert "invalid openid" in failed["error"]


class ContestedMpServer(MpServer):
    """Another worker shares the Official Account: the first ``contested`` tokens we fetch are
    revoked at once by its own fetches, and WeChat answers them with 40001."""

    def __init__(self, contested: int) -> None:
        super().__init__()
        self.contested = contested
        self.revoked: set[str] = set()

    def _token(self, query: dict[str, str], body: Any) -> Answer:
        answer = super()._token(query, body)
        if self.contested > 0 and "access_token" in answer:
            self.contested -= 1
            self.revoked.add(answer["access_token"])
        return answer

    def token_error(self, query: dict[str, str]) -> Answer | None:
        if query.get("access_token") in self.revoked:
            return {"errcode": 40001, "errmsg": "access_token is invalid or not latest"}
        return super().token_error(query)


async def test_official_account_token_revoked_right_after_a_refresh_is_retried(
    client: Client, task_queue: str, tmp_path: Path
) -> None:
    server = ContestedMpServer(contested=2)  # our first token and its refresh are both revoked
    server.start()
    try:
        async with notify_worker(client, task_queue, tmp_path, **mp_settings(server)):
            result = await notify(client, task_queue, "outcome", ["mp_mia"], outcome="approved")
    finally:
        server.stop()

    assert [m["touser"] for m in server.sent] == ["oMIA123"]
    assert [(e["to"], e["channel"]) for e in result["sent"]] == [("mp_mia", "wechat_mp")]
    assert result["failed"] == []
    refused = server.calls_to("message/template/send", ok=False)
    assert [c.answer["errcode"] for c in refused] == [40001, 40001, 40001, 0]
