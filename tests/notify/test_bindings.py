"""WeChat addresses come from the binding table first, then the directory, then the user id."""

from __future__ import annotations

from pathlib import Path

from temporalio.client import Client

from tests.notify.support import bind, mp_settings, notify, notify_worker, work_settings
from tests.wechat.mp_server import MpServer
from tests.wechat.work_server import WorkServer


async def test_a_card_goes_to_the_bound_work_userid_not_the_directorys(
    client: Client, task_queue: str, tmp_path: Path, wechat_work_server: WorkServer
) -> None:
    await bind(tmp_path, "WX_BOB_NEW", "bob")  # the directory still says WW_BOB
    await bind(tmp_path, "WX_IDA", "ida")  # the directory names no userid: not "ida"

    async with notify_worker(client, task_queue, tmp_path, **work_settings(wechat_work_server)):
        result = await notify(client, task_queue, "task_opened", ["bob", "ida", "frank"])

    assert sorted(s.to for s in wechat_work_server.sent) == ["WX_BOB_NEW", "WX_IDA", "frank"]
    assert {e["to"]: e["address"] for e in result["sent"]} == {
        "bob": "WX_BOB_NEW",
        "ida": "WX_IDA",
        "frank": "frank",
    }


async def test_an_mp_binding_reaches_a_follower_the_directory_has_no_openid_for(
    client: Client, task_queue: str, tmp_path: Path, wechat_mp_server: MpServer
) -> None:
    await bind(tmp_path, "mp:oIDA", "ida")
    await bind(tmp_path, "mp:oMIA_NEW", "mp_mia")  # the directory says oMIA123

    async with notify_worker(client, task_queue, tmp_path, **mp_settings(wechat_mp_server)):
        result = await notify(client, task_queue, "outcome", ["ida", "mp_mia"], outcome="approved")

    assert sorted(m["touser"] for m in wechat_mp_server.sent) == ["oIDA", "oMIA_NEW"]
    assert [(e["to"], e["channel"], e["address"]) for e in result["sent"]] == [
        ("ida", "wechat_mp", "oIDA"),
        ("mp_mia", "wechat_mp", "oMIA_NEW"),
    ]
