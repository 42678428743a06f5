"""A notify task drawn in BPMN on the real worker (registry wiring), and the webhook feed."""

from __future__ import annotations

from pathlib import Path

from temporalio.client import Client

from tests.activities.support import running_worker, service_process, start
from tests.activities.webhook_server import webhook_server
from tests.notify.support import DIRECTORY, notify, notify_worker, work_settings
from tests.wechat.work_server import WorkServer


async def test_drawn_notify_task_texts_its_recipients_and_records_the_result(
    client: Client, task_queue: str, tmp_path: Path, wechat_work_server: WorkServer
) -> None:
    directory = tmp_path / "directory.yaml"
    directory.write_text(DIRECTORY, encoding="utf-8")
    wechat_work_server.reject_user("WW_NOBODY")
    process = service_process(
        ("notify", {"message": "采购已批准 Purchase approved", "to": "bob,nobody"})
    )
    settings = work_settings(wechat_work_server, directory_file=directory, data_dir=tmp_path)
    async with running_worker(client, task_queue, **settings):
        final = await (await start(client, process, task_queue)).result()

    assert final.status == "completed"
    [sent] = wechat_work_server.sent
    assert (sent.to, sent.msgtype) == ("WW_BOB", "text")
    assert "采购已批准 Purchase approved" in sent.text
    result = final.variables["notify"]
    assert [(e["to"], e["channel"]) for e in result["sent"]] == [("bob", "wechat_work")]
    assert [(e["to"], e["channel"]) for e in result["failed"]] == [("nobody", "wechat_work")]


async def test_without_personal_channels_the_webhook_carries_the_resolved_recipients(
    client: Client, task_queue: str, tmp_path: Path
) -> None:
    with webhook_server([200]) as hook:
        async with notify_worker(client, task_queue, tmp_path, notify_webhook_url=hook.url):
            result = await notify(
                client, task_queue, "urge", ["group:finance"], comment="¥8,999 laptop, please"
            )

    [request] = hook.received
    body = request.json()
    assert (body["event"], body["recipients"]) == ("urge", ["frank", "erin"])
    assert body["tasks"] == [
        {
            "task_id": "Task_Approve-1",
            "ref": "K7Q2XM",
            "node_id": "Task_Approve",
            "name": "经理审批 Manager approval",
            "due_at": "2026-11-23T09:00:00+00:00",
        }
    ]
    # Ids, the event, the people, the tasks and the outcome: never the variables' content.
    assert "variables" not in body and "8,999" not in request.body.decode()
    assert [(e["to"], e["channel"]) for e in result["sent"]] == [
        ("frank", "webhook"),
        ("erin", "webhook"),
    ]
