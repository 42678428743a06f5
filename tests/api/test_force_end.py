"""An admin's forced cancel ends any instance, even one whose every workflow task fails."""

from __future__ import annotations

import uuid
from typing import Any

from temporalio.client import WorkflowExecutionStatus
from temporalio.common import SearchAttributePair, TypedSearchAttributes

from shenpi.db import repository
from shenpi_core import search_attributes as sa
from shenpi_core.contracts import StartInput
from tests.api.bpmn import single_approval
from tests.api.conftest import Stack, unique
from tests.api.flows import deploy, ended


def _nested(depth: int) -> Any:
    value: Any = "leaf"
    for _ in range(depth):
        value = [value]
    return value


async def test_force_cancel_terminates_and_archives_an_instance_that_cannot_run(
    stack: Stack,
) -> None:
    # Variables nested 240 levels deep (the API now refuses them; an older instance may hold
    # them) make every workflow task of the instance fail, so it never takes a cancel request.
    process_id = unique("broken")
    await deploy(stack, single_approval(process_id))
    async with stack.app.state.sessions() as session:
        definition = await repository.get_definition(session, process_id, None)
    assert definition is not None
    instance_id = f"{process_id}:{uuid.uuid4().hex}"
    await stack.temporal.start_workflow(
        process_id,
        StartInput(
            plan=repository.load_plan(definition),
            version=definition.version,
            variables={"manager": "mona", "deep": _nested(240)},
            initiator="ida",
        ),
        id=instance_id,
        task_queue=stack.settings.task_queue,
        search_attributes=TypedSearchAttributes(
            [
                SearchAttributePair(sa.VERSION, f"{process_id}:{definition.version}"),
                SearchAttributePair(sa.INITIATOR, "ida"),
            ]
        ),
    )
    async with stack.http("root", ["admin"]) as admin, stack.http("ida") as ida:
        forced = await admin.post(
            f"/api/v1/instances/{instance_id}/cancel",
            params={"force": "true"},
            json={"comment": "broken request"},
        )
        body = await ended(ida, instance_id)
    description = await stack.temporal.get_workflow_handle(instance_id).describe()
    assert forced.status_code == 200, forced.text
    assert forced.json()["instance_status"] == "terminated"
    assert description.status == WorkflowExecutionStatus.TERMINATED
    assert body["archived"] is True and body["status"] == "cancelled"
    assert body["initiator"] == "ida" and body["process_id"] == process_id
    entry = body["timeline"][-1]
    assert (entry["event"], entry["actor"]) == ("force_terminated", "root")
