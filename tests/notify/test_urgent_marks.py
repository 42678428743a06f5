"""An urgent request's notifications say so first, on every channel (docs/priority.md)."""

from __future__ import annotations

from pathlib import Path

from temporalio.client import Client

from tests.activities.webhook_server import webhook_server
from tests.notify.support import mail_and_work_worker, notify, notify_worker
from tests.wechat.work_server import WorkServer


async def test_urgent_task_card_and_email_are_marked_urgent(
    client: Client, task_queue: str, tmp_path: Path, wechat_work_server: WorkServer
) -> None:
    async with mail_and_work_worker(client, task_queue, tmp_path, wechat_work_server) as smtp:
        await notify(client, task_queue, "task_opened", ["group:finance"], priority="urgent")
        await notify(client, task_queue, "task_opened", ["erin"], priority="high")

    # erin prefers email, frank gets WeChat Work: both hear it is urgent, in both languages.
    urgent, high = (m.message["Subject"] for m in smtp.received)
    assert urgent.startswith("【加急】【待审批】经理审批 Manager approval")
    assert "URGENT Approval needed" in urgent
    assert high.startswith("【待审批】")  # only urgent is marked
    [card] = [s.card for s in wechat_work_server.sent if s.to == "frank"]
    assert card["main_title"]["title"].startswith("【加急】【待审批】")
    assert card["main_title"]["desc"].startswith("URGENT Approval needed")


async def test_webhook_payload_carries_the_priority(
    client: Client, task_queue: str, tmp_path: Path
) -> None:
    with webhook_server([200, 200]) as hook:
        async with notify_worker(client, task_queue, tmp_path, notify_webhook_url=hook.url):
            await notify(
                client, task_queue, "outcome", ["ida"], outcome="approved", priority="urgent"
            )
            await notify(client, task_queue, "outcome", ["ida"], outcome="approved")
    assert [r.json()["priority"] for r in hook.received] == ["urgent", None]
