"""WeChat redelivers a callback it got no answer to, byte for byte: that must never lose a
decision nor make a second one; the same nonce with another body is still a replay."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest_asyncio
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from api.main import create_app
from shenpi.settings import Settings
from tests.api import flows
from tests.api.conftest import Stack, run_api, running_stack
from tests.wechat.callbacks import (
    WorkCallbacks,
    click_xml,
    msg_id,
    send_card,
    text_xml,
    wechat_settings,
)
from tests.wechat.test_callback_work import BOB, open_task, updates_in_history
from tests.wechat.work_server import WorkServer


@pytest_asyncio.fixture
async def stack(
    temporal_env: WorkflowEnvironment, tmp_path: Path, wechat_work_server: WorkServer
) -> AsyncIterator[Stack]:
    settings = wechat_settings(tmp_path, wechat_work_server.url)
    async with running_stack(temporal_env, settings) as s:
        yield s


@asynccontextmanager
async def replica_without_temporal(settings: Settings) -> AsyncIterator[Stack]:
    """An API replica on the same database whose Temporal is unreachable (nothing listens on
    port 9): every callback it takes fails after its nonce is recorded."""
    unreachable = await Client.connect(
        "127.0.0.1:9", lazy=True, data_converter=pydantic_data_converter
    )
    app = create_app(settings, temporal_client=unreachable)
    async with run_api(app) as url:
        yield Stack(url, settings, unreachable, app)


async def test_an_exact_redelivery_of_a_decided_text_answers_the_same_reply_once(
    stack: Stack,
) -> None:
    instance_id, task = await open_task(stack)
    wechat = WorkCallbacks(stack)
    params, body = wechat.signed(text_xml(BOB, f"同意 {task['ref']} 可以", msg_id()))

    first = await wechat.deliver(params, body)
    again = await wechat.deliver(params, body)

    assert (first.status_code, again.status_code) == (200, 200), again.text
    assert wechat.reply(first)["Content"] == f"已同意：Manager approval（{task['ref']}）。"
    assert wechat.reply(again)["Content"] == wechat.reply(first)["Content"]
    assert await updates_in_history(stack, instance_id) == 1


async def test_an_exact_redelivery_of_a_click_answers_the_same_reply_and_updates_the_card_once(
    stack: Stack, wechat_work_server: WorkServer
) -> None:
    instance_id, task = await open_task(stack)
    key_base = f"{instance_id}|{task['task_id']}"
    card_id = f"{str(task['ref']).upper()}_5e1d02"
    code = await send_card(wechat_work_server, stack.settings, BOB, key_base, card_id)
    wechat = WorkCallbacks(stack)
    params, body = wechat.signed(click_xml(BOB, f"approve|{key_base}", card_id, code))

    replies = [wechat.reply(await wechat.deliver(params, body))["Content"] for _ in range(3)]

    assert replies == [f"已同意：Manager approval（{task['ref']}）。"] * 3
    assert await updates_in_history(stack, instance_id) == 1
    async with stack.http("alice") as http:
        assert (await flows.ended(http, instance_id))["outcome"] == "approved"


async def test_a_redelivery_after_a_failed_first_delivery_takes_effect(
    stack: Stack, wechat_work_server: WorkServer
) -> None:
    instance_id, task = await open_task(stack)
    wechat = WorkCallbacks(stack)
    params, body = wechat.signed(text_xml(BOB, f"approve {task['ref']} fine", msg_id()))

    async with replica_without_temporal(stack.settings) as broken:
        failed = await wechat.deliver(params, body, to=broken)
    redelivered = await wechat.deliver(params, body)  # to a replica whose Temporal answers

    assert failed.status_code >= 500, failed.text
    assert redelivered.status_code == 200, redelivered.text
    assert wechat.reply(redelivered)["Content"] == f"Approved: Manager approval ({task['ref']})."
    async with stack.http("alice") as http:
        body_after = await flows.ended(http, instance_id)
    assert body_after["outcome"] == "approved"
    assert flows.events(body_after).count(("approved", "bob")) == 1


async def test_another_body_under_a_used_nonce_is_refused_and_decides_nothing(
    stack: Stack,
) -> None:
    instance_id, task = await open_task(stack)
    wechat = WorkCallbacks(stack)
    hello = wechat.signed(text_xml(BOB, "hello", msg_id()), nonce="used-once")
    command = wechat.signed(text_xml(BOB, f"同意 {task['ref']}", msg_id()), nonce="used-once")

    first = await wechat.deliver(*hello)
    replayed = await wechat.deliver(*command)

    assert (first.status_code, replayed.status_code) == (200, 403)
    assert replayed.json()["error"]["message"] == "replayed nonce"
    assert await updates_in_history(stack, instance_id) == 0
