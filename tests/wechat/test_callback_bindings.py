"""Bindings: admins map WeChat identities to users, or fill them from the directory; callbacks
act as the bound user, with the groups the directory gives them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest_asyncio
from temporalio.testing import WorkflowEnvironment

from tests.api import flows
from tests.api.bpmn import group_approval, single_approval
from tests.api.conftest import Stack, running_stack, unique
from tests.wechat.callbacks import WorkCallbacks, wechat_settings
from tests.wechat.work_server import WorkServer

URL = "/api/v1/wechat/bindings"


@pytest_asyncio.fixture
async def stack(
    temporal_env: WorkflowEnvironment, tmp_path: Path, wechat_work_server: WorkServer
) -> AsyncIterator[Stack]:
    settings = wechat_settings(tmp_path, wechat_work_server.url)
    async with running_stack(temporal_env, settings) as s:
        yield s


async def test_admins_bind_list_and_unbind(stack: Stack) -> None:
    async with stack.http("ops", ["admin"]) as admin, stack.http("bob") as bob:
        created = await admin.put(f"{URL}/WX_9", json={"user": "bob"})
        rebound = await admin.put(f"{URL}/WX_9", json={"user": "carol"})
        mp = await admin.put(f"{URL}/mp:o-openid-1", json={"user": "alice"})
        listed = (await admin.get(URL)).json()
        refused = await bob.put(f"{URL}/WX_9", json={"user": "bob"})
        deleted = await admin.delete(f"{URL}/WX_9")
        gone = await admin.delete(f"{URL}/WX_9")

    assert (created.status_code, rebound.status_code, mp.status_code) == (201, 200, 201)
    assert [(b["wechat_userid"], b["user"], b["source"]) for b in listed["data"]] == [
        ("WX_9", "carol", "api"),
        ("mp:o-openid-1", "alice", "api"),
    ]
    assert rebound.json()["updated_by"] == "ops"
    assert (refused.status_code, deleted.status_code, gone.status_code) == (403, 204, 404)


async def test_sync_fills_bindings_from_the_directory_and_keeps_an_admins(stack: Stack) -> None:
    async with stack.http("ops", ["admin"]) as admin:
        first = (await admin.post(f"{URL}/sync")).json()
        second = (await admin.post(f"{URL}/sync")).json()
        await admin.put(f"{URL}/WX_BOB", json={"user": "alice"})
        third = (await admin.post(f"{URL}/sync")).json()
        listed = (await admin.get(URL)).json()["data"]

    assert first == {"added": 2, "updated": 0, "removed": 0, "kept": 0}
    assert second == {"added": 0, "updated": 0, "removed": 0, "kept": 0}
    assert third == {"added": 0, "updated": 0, "removed": 0, "kept": 1}
    assert [(b["wechat_userid"], b["user"], b["source"]) for b in listed] == [
        ("WX_BOB", "alice", "api"),
        ("mp:o-alice-dir", "alice", "directory"),
    ]


async def test_senders_act_as_their_bound_or_directory_user(stack: Stack) -> None:
    process_id = unique("wx_bound")
    await flows.deploy(stack, single_approval(process_id))
    tasks = []
    async with stack.http("alice") as http:
        ids = [await flows.start(http, process_id, variables={"manager": "bob"}) for _ in "ab"]
    async with stack.http("bob") as http:
        tasks = [await flows.task_of(http, i) for i in ids]
    async with stack.http("ops", ["admin"]) as admin:
        assert (await admin.put(f"{URL}/WX_9", json={"user": "bob"})).status_code == 201
    wechat = WorkCallbacks(stack)

    by_binding = await wechat.say("WX_9", f"同意 {tasks[0]['ref']}")
    by_directory = await wechat.say("WX_BOB", f"同意 {tasks[1]['ref']}")  # no binding, no sync

    assert by_binding.startswith("已同意"), by_binding
    assert by_directory.startswith("已同意"), by_directory
    async with stack.http("alice") as http:
        for instance_id in ids:
            body = await flows.ended(http, instance_id)
            assert ("approved", "bob") in flows.events(body)


async def test_a_group_task_is_decided_by_a_member_the_directory_names(stack: Stack) -> None:
    process_id = unique("wx_group")
    await flows.deploy(stack, group_approval(process_id, "finance"))
    async with stack.http("alice") as http:
        instance_id = await flows.start(http, process_id)
    async with stack.http("carol", ["finance"]) as http:
        task = await flows.task_of(http, instance_id)
    wechat = WorkCallbacks(stack)

    outsider = await wechat.say("alice", f"approve {task['ref']}")
    member = await wechat.say("carol", f"approve {task['ref']} ok")

    assert outsider.startswith("Sorry"), outsider
    assert member.startswith("Approved"), member
    async with stack.http("alice") as http:
        body = await flows.ended(http, instance_id)
    assert ("approved", "carol") in flows.events(body)


async def test_a_user_bound_to_another_id_is_not_reached_by_the_same_name(stack: Stack) -> None:
    process_id = unique("wx_rebound")
    await flows.deploy(stack, single_approval(process_id))
    async with stack.http("alice") as http:
        instance_id = await flows.start(http, process_id, variables={"manager": "carol"})
    async with stack.http("carol") as http:
        task = await flows.task_of(http, instance_id)
    async with stack.http("ops", ["admin"]) as admin:
        assert (await admin.put(f"{URL}/WX_CAROL", json={"user": "carol"})).status_code == 201
    wechat = WorkCallbacks(stack)

    by_name = await wechat.say("carol", f"approve {task['ref']}")
    by_binding = await wechat.say("WX_CAROL", f"approve {task['ref']}")

    assert by_name.startswith("Hello, your WeChat account is not linked"), by_name
    assert by_binding.startswith("Approved"), by_binding
    async with stack.http("alice") as http:
        body = await flows.ended(http, instance_id)
    assert flows.events(body).count(("approved", "carol")) == 1
