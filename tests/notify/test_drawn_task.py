"""A notify task drawn in BPMN, run by the interpreter on the real worker (registry wiring)."""

from __future__ import annotations

from pathlib import Path

from temporalio.client import Client

from tests.activities.support import running_worker, service_process, start
from tests.notify.support import DIRECTORY, work_settings
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
    settings = work_settings(wechat_work_server, directory_file=directory)
    async with running_worker(client, task_queue, **settings):
        final = await (await start(client, process, task_queue)).result()

    assert final.status == "completed"
    [sent] = wechat_work_server.sent
    assert (sent.to, sent.msgtype) == ("WW_BOB", "text")
    assert "采购已批准 Purchase approved" in sent.text
    result = final.variables["notify"]
    assert [(e["to"], e["channel"]) for e in result["sent"]] == [("bob", "wechat_work")]
    assert [(e["to"], e["channel"]) for e in result["failed"]] == [("nobody", "wechat_work")]
