"""The interpreter's own notifications through the real notify activity (the shapes agree)."""

from __future__ import annotations

from temporalio.client import Client

from tests.helpers import assert_eventually
from tests.notify.support import work_settings
from tests.wechat.work_server import WorkServer
from tests.workflows.action_support import DIRECTORY_FILE, act
from tests.workflows.support import fake_activities, open_task, settings_for_tests, start
from worker import build_worker


async def test_urge_reaches_the_approver_as_a_card_that_decides_the_open_task(
    client: Client, task_queue: str, wechat_work_server: WorkServer
) -> None:
    settings = settings_for_tests(
        directory_file=DIRECTORY_FILE, **work_settings(wechat_work_server)
    )
    async with build_worker(
        client, task_queue=task_queue, settings=settings, extra_activities=fake_activities()
    ):
        handle = await start(client, "two_steps", task_queue, variables={"manager": "mona"})
        task = await open_task(handle, "manager")
        await act(handle, "urge", "ida", comment="needed by Friday")

        async def card_sent() -> None:
            assert [s.to for s in wechat_work_server.sent] == ["mona"]

        await assert_eventually(card_sent)

    card = wechat_work_server.sent[0].card
    assert [b["key"] for b in card["button_list"]] == [
        f"approve|{handle.id}|{task.task_id}",
        f"reject|{handle.id}|{task.task_id}",
    ]
    assert card["task_id"].startswith(f"{task.ref}_")
    assert card["main_title"] == {
        "title": "【催办】Manager approval",
        "desc": "Urged: Manager approval · two_steps",
    }
    assert card["quote_area"]["quote_text"] == "needed by Friday"
    assert f"编号 {task.ref}" in card["sub_title_text"]
