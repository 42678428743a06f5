"""Helpers for call-activity tests: deploy a fixture into a worker's app database, find the
child instance a call activity started."""

from __future__ import annotations

from typing import Any

from temporalio.client import Client, WorkflowHandle

from shenpi.db.lazy import LazyDatabase
from shenpi.db.repository import deploy_definition
from shenpi.settings import Settings
from shenpi_core.contracts import InstanceState
from tests.helpers import assert_eventually
from tests.workflows.support import BPMN_DIR, plan, state


async def deploy_fixture(settings: Settings, name: str) -> None:
    """Deploy ``tests/workflows/bpmn/<name>.bpmn`` where the worker's resolve activity reads."""
    database = LazyDatabase(settings)
    try:
        async with (await database())() as session:
            await deploy_definition(
                session,
                plan=plan(name),
                bpmn_xml=(BPMN_DIR / f"{name}.bpmn").read_bytes(),
                warnings=[],
                deployed_by="test",
            )
    finally:
        await database.aclose()


async def called_child(
    client: Client, caller: WorkflowHandle[Any, Any]
) -> WorkflowHandle[Any, InstanceState]:
    """The child workflow of the caller's one call activity, once it started."""

    async def started() -> str:
        current = await state(caller)
        calls = [e for e in current.timeline if e.event == "call_started"]
        assert len(calls) == 1, [(e.event, e.details) for e in current.timeline]
        return str(calls[0].details["instance_id"])

    return client.get_workflow_handle(await assert_eventually(started), result_type=InstanceState)
