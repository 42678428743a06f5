"""No worker answers within WeChat's 5 seconds: the decision goes as a durable signal."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

from temporalio.api.enums.v1 import EventType
from temporalio.testing import WorkflowEnvironment

from api.main import create_app
from shenpi.settings import Settings
from tests.api import flows
from tests.api.bpmn import single_approval
from tests.api.conftest import Stack, run_api, run_worker, unique
from tests.wechat.callbacks import WorkCallbacks, click_xml, msg_id, send_card, wechat_settings
from tests.wechat.work_server import WorkServer

WECHAT_DEADLINE_SECONDS = 5.0


@asynccontextmanager
async def api_with_a_task_for_bob(
    temporal_env: WorkflowEnvironment, settings: Settings, prefix: str
) -> AsyncIterator[tuple[Stack, dict[str, Any]]]:
    """The API alone (no worker: WeChat's callbacks meet none), after a worker opened bob's task
    in a new single-approval instance; yields the stack and that task (from bob's inbox)."""
    app = create_app(settings, temporal_client=temporal_env.client)
    async with run_api(app) as base_url:
        stack = Stack(base_url, settings, temporal_env.client, app)
        process_id = unique(prefix)
        await flows.deploy(stack, single_approval(process_id))
        async with run_worker(temporal_env.client, settings):
            async with stack.http("alice") as http:
                instance_id = await flows.start(http, process_id, variables={"manager": "bob"})
            async with stack.http("bob") as http:
                task = await flows.task_of(http, instance_id)
        yield stack, task


async def test_without_a_worker_a_click_is_accepted_in_time_and_applied_later(
    temporal_env: WorkflowEnvironment, tmp_path: Path, wechat_work_server: WorkServer
) -> None:
    settings = wechat_settings(tmp_path, wechat_work_server.url)
    async with api_with_a_task_for_bob(temporal_env, settings, "wx_fallback") as (stack, task):
        instance_id = task["instance_id"]
        key_base = f"{instance_id}|{task['task_id']}"
        code = await send_card(wechat_work_server, settings, "WX_BOB", key_base, "card-1")
        wechat = WorkCallbacks(stack)

        started = time.monotonic()
        response = await wechat.post(click_xml("WX_BOB", f"approve|{key_base}", "card-1", code))
        elapsed = time.monotonic() - started

        assert elapsed < WECHAT_DEADLINE_SECONDS
        assert "正在处理" in wechat.reply(response)["Content"]
        history = await temporal_env.client.get_workflow_handle(instance_id).fetch_history()
        signaled = EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED
        assert [e.event_type for e in history.events].count(signaled) == 1

        async with run_worker(temporal_env.client, settings), stack.http("alice") as http:
            body = await flows.ended(http, instance_id)
        assert body["outcome"] == "approved"
        assert flows.events(body).count(("approved", "bob")) == 1


async def test_without_a_worker_a_text_command_is_accepted_in_time(
    temporal_env: WorkflowEnvironment, tmp_path: Path, wechat_work_server: WorkServer
) -> None:
    settings = wechat_settings(tmp_path, wechat_work_server.url)
    async with api_with_a_task_for_bob(temporal_env, settings, "wx_fallback") as (stack, task):
        instance_id = task["instance_id"]
        wechat = WorkCallbacks(stack)
        message = msg_id()

        started = time.monotonic()
        reply = await wechat.say("WX_BOB", f"驳回 {task['ref']} 超预算", msg=message)
        elapsed = time.monotonic() - started

        assert elapsed < WECHAT_DEADLINE_SECONDS
        assert "正在处理" in reply
        async with run_worker(temporal_env.client, settings):
            async with stack.http("alice") as http:
                body = await flows.ended(http, instance_id)
            again = await wechat.say("WX_BOB", f"驳回 {task['ref']} 超预算", msg=message)
        assert body["outcome"] == "rejected"
        assert flows.events(body).count(("rejected", "bob")) == 1
        assert again.startswith("已驳回"), again  # its own signal applied: not "already"


@contextmanager
def write_lock_held_for(database: Path, seconds: float) -> Iterator[None]:
    """Another writer (a deploy, another replica) holds the SQLite write lock for ``seconds``."""
    other = sqlite3.connect(database, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")
    release = threading.Timer(seconds, other.rollback)
    release.start()
    try:
        yield
    finally:
        release.join()
        other.close()


async def test_a_callback_whose_time_a_busy_database_took_still_answers_within_five_seconds(
    temporal_env: WorkflowEnvironment, tmp_path: Path, wechat_work_server: WorkServer
) -> None:
    settings = wechat_settings(tmp_path, wechat_work_server.url)
    async with api_with_a_task_for_bob(temporal_env, settings, "wx_deadline") as (stack, task):
        instance_id = task["instance_id"]
        wechat = WorkCallbacks(stack)
        database = Path(settings.resolved_database_url.removeprefix("sqlite+aiosqlite:///"))

        # The nonce waits 2.5 s for the lock: the inbox, the update and the signal share the
        # rest of the callback's deadline instead of taking their usual limits after it.
        with write_lock_held_for(database, 2.5):
            started = time.monotonic()
            reply = await wechat.say("WX_BOB", f"同意 {task['ref']}")
            elapsed = time.monotonic() - started

        assert elapsed < WECHAT_DEADLINE_SECONDS, elapsed
        assert "正在处理" in reply
        history = await temporal_env.client.get_workflow_handle(instance_id).fetch_history()
        signaled = EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED
        assert [e.event_type for e in history.events].count(signaled) == 1
