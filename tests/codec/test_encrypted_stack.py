"""The whole stack with encryption on (real API, worker, dev server, SQLite): people see their
requests as ever; Temporal and the app database see ciphertext."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import pytest_asyncio
from sqlalchemy import text
from temporalio.testing import WorkflowEnvironment

from api.main import create_app
from shenpi.db.engine import create_engine
from tests.api import bpmn
from tests.api.conftest import Stack, api_settings, run_api, run_worker, unique
from tests.api.flows import decide, deploy, start, task_of
from tests.codec.support import OLD_KEY, encrypting, ring
from tests.helpers import assert_eventually

SECRET = "laptop for the Beijing office, 1260 元, secret-5be0"


@pytest_asyncio.fixture
async def encrypted(temporal_env: WorkflowEnvironment, tmp_path: Path) -> AsyncIterator[Stack]:
    settings = api_settings(tmp_path, payload_keys=OLD_KEY)
    client = encrypting(temporal_env.client, ring(OLD_KEY))
    async with AsyncExitStack() as stack:
        app = create_app(settings, temporal_client=client)
        await stack.enter_async_context(run_worker(client, settings))
        yield Stack(await stack.enter_async_context(run_api(app)), settings, client, app)


async def _archived_row(stack: Stack) -> str:
    engine = create_engine(stack.settings.resolved_database_url)
    try:
        async with engine.connect() as connection:
            rows = (await connection.execute(text("SELECT state FROM instance_archive"))).all()
    finally:
        await engine.dispose()
    assert rows, "not archived yet"
    return str([tuple(str(v) for v in row) for row in rows])  # Row's repr abbreviates


async def test_requests_read_in_clear_through_the_api_and_encrypted_everywhere_else(
    encrypted: Stack, temporal_env: WorkflowEnvironment
) -> None:
    process_id, ann, ivan = unique("expense"), unique("ann"), unique("ivan")
    await deploy(encrypted, bpmn.single_approval(process_id))
    async with encrypted.http(ivan) as initiator, encrypted.http(ann) as approver:
        variables = {"manager": ann, "description": SECRET}
        instance_id = await start(initiator, process_id, variables=variables)
        task = await task_of(approver, instance_id)  # the inbox reads the (encrypted) memo

        refused = await decide(initiator, instance_id, task["task_id"], "approve")
        assert refused.status_code == 403, refused.text  # an encrypted failure, decoded
        assert refused.json()["error"]["message"] == f"{ivan} may not act on {task['task_id']}"
        approved = await decide(approver, instance_id, task["task_id"], "approve", comment=SECRET)
        assert approved.status_code == 200, approved.text

        async def completed() -> dict[str, Any]:
            body: dict[str, object] = (
                await initiator.get(f"/api/v1/instances/{instance_id}")
            ).json()
            assert body["status"] == "completed", body
            return body

        instance = await assert_eventually(completed)
    assert (instance["outcome"], instance["variables"]["description"]) == ("approved", SECRET)

    history = await temporal_env.client.get_workflow_handle(instance_id).fetch_history()
    assert b"secret-5be0" not in b"".join(e.SerializeToString() for e in history.events)
    archived = await assert_eventually(lambda: _archived_row(encrypted))
    assert "$sealed" in archived and "secret-5be0" not in archived
