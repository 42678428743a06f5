"""More approval behaviour over HTTP: approvers from the directory, add and remove signers, admin
jump, due dates in the inbox (real worker, dev server, SQLite)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest_asyncio
from temporalio.testing import WorkflowEnvironment

from tests.api import bpmn
from tests.api.conftest import Stack, api_settings, running_stack, unique
from tests.api.flows import decide, decided, deploy, ended, events, inbox, start, task_of


def _people(n: int) -> list[str]:
    return [unique(f"p{i}") for i in range(n)]


DIRECTORY = """
users:
  alice: {manager: bob}
  bob: {manager: carol}
  carol: {}
"""


@pytest_asyncio.fixture
async def directory_stack(
    temporal_env: WorkflowEnvironment, tmp_path: Path
) -> AsyncIterator[Stack]:
    path = tmp_path / "directory.yaml"
    path.write_text(DIRECTORY, encoding="utf-8")
    async with running_stack(temporal_env, api_settings(tmp_path, directory_file=path)) as s:
        yield s


async def test_approvers_from_the_directory_manager_then_their_manager(
    directory_stack: Stack,
) -> None:
    stack, process_id = directory_stack, unique("chain")
    await deploy(stack, bpmn.manager_approval(process_id))
    async with stack.http("alice") as alice, stack.http("bob") as bob, stack.http("carol") as carol:
        instance_id = await start(alice, process_id)
        first = await task_of(bob, instance_id)
        assert first["mode"] == "sequential" and await inbox(carol, instance_id) == []
        await decided(bob, instance_id, first["task_id"], "approve")
        second = await task_of(carol, instance_id)
        await decided(carol, instance_id, second["task_id"], "approve")
        body = await ended(alice, instance_id)
    assert (body["status"], body["outcome"]) == ("completed", "approved")
    assert [e for e in events(body) if e[0] == "approved"] == [
        ("approved", "bob"),
        ("approved", "carol"),
    ]


async def test_add_and_remove_signers_on_a_countersign_step(stack: Stack) -> None:
    process_id, ivan = unique("signers"), unique("ivan")
    a, b, carol = _people(3)
    await deploy(stack, bpmn.purchase_countersign(process_id))
    async with (
        stack.http(ivan) as initiator,
        stack.http(a) as http_a,
        stack.http(b) as http_b,
        stack.http(carol) as http_c,
    ):
        instance_id = await start(initiator, process_id, variables={"signers": [a, b]})
        task_a = await task_of(http_a, instance_id)
        await task_of(http_b, instance_id)
        await decided(http_a, instance_id, task_a["task_id"], "add_signer", to=[carol])
        task_c = await task_of(http_c, instance_id)
        assert task_c["step_id"] == task_a["step_id"]
        await decided(http_a, instance_id, task_a["task_id"], "remove_signer", to=[b])
        assert await inbox(http_b, instance_id) == []
        await decided(http_a, instance_id, task_a["task_id"], "approve")
        await decided(http_c, instance_id, task_c["task_id"], "approve")
        body = await ended(initiator, instance_id)
    assert (body["status"], body["outcome"]) == ("completed", "approved")
    assert ("signers_added", a) in events(body) and ("signers_removed", a) in events(body)


async def test_only_an_admin_may_jump_and_the_jump_is_in_the_timeline(stack: Stack) -> None:
    process_id, ivan, alice = unique("jump"), unique("ivan"), unique("alice")
    await deploy(stack, bpmn.single_approval(process_id))
    async with (
        stack.http(ivan) as initiator,
        stack.http(alice) as approver,
        stack.http("root", ["admin"]) as admin,
    ):
        instance_id = await start(initiator, process_id, variables={"manager": alice})
        task = await task_of(approver, instance_id)
        refused = await decide(approver, instance_id, task["task_id"], "jump", to="end")
        assert refused.status_code == 403, refused.text
        jumped = await decided(admin, instance_id, task["task_id"], "jump", to="end")
        body = await ended(initiator, instance_id)
    assert jumped["accepted"] is True
    assert body["status"] == "completed"
    assert ("jumped", "root") in events(body)


async def test_the_inbox_shows_the_due_date_of_a_step_with_a_deadline(stack: Stack) -> None:
    process_id, ivan, alice = unique("due"), unique("ivan"), unique("alice")
    await deploy(stack, bpmn.approval_step(process_id, 'approvers="${who}" dueIn="PT24H"'))
    async with stack.http(ivan) as initiator, stack.http(alice) as approver:
        instance_id = await start(initiator, process_id, variables={"who": [alice]})
        task = await task_of(approver, instance_id)
    created = datetime.fromisoformat(task["created_at"])
    assert datetime.fromisoformat(task["due_at"]) - created == timedelta(hours=24)
    assert (task["mode"], task["kind"], task["reminders_sent"], task["escalated"]) == (
        "single",
        "approval",
        0,
        False,
    )
