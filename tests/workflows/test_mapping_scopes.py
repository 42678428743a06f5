"""Output mappings see the variables around the task, as Zeebe and Camunda 7 evaluate them.

Both were interpreter bugs found running the corpus (tests/workflows/test_corpus_runs.py).
"""

from __future__ import annotations

from functools import partial
from typing import Any

from temporalio.client import Client, WorkflowHandle
from temporalio.worker import Worker

from shenpi_core.contracts import InstanceState
from tests.helpers import assert_eventually
from tests.workflows.support import decide, open_task, start, state


async def _settled(handle: WorkflowHandle[Any, InstanceState]) -> InstanceState:
    """The state once the instance stopped running (completed, or parked as an incident)."""
    current = await state(handle)
    assert current.status != "running"
    return current


async def test_a_service_tasks_output_mapping_reads_its_input_mapped_variables(
    client: Client, worker: Worker, task_queue: str
) -> None:
    # Zeebe and Camunda 7: input mappings are the task's local variables, and its output
    # mappings are evaluated in that local scope (spring-zeebe's demoProcess relies on it).
    handle = await start(client, "service_output_locals", task_queue, variables={"amount": 70})

    current = await assert_eventually(partial(_settled, handle))
    assert current.status == "completed", current.incidents
    assert current.variables["looked_up"] == 70


async def test_a_user_tasks_output_mapping_inside_a_subprocess_reads_its_local_variables(
    client: Client, worker: Worker, task_queue: str
) -> None:
    # docs/interpreter.md "Scopes": an expression inside sees the locals of every scope around
    # it, and an output mapping inside sets the variable where a scope already holds it.
    handle = await start(client, "user_output_in_scope", task_queue, variables={"amount": 300})
    await decide(handle, await open_task(handle, "check"), "approve", "mia")

    current = await assert_eventually(partial(_settled, handle))
    assert current.status == "completed", current.incidents
    assert current.variables["checked_limit"] == 600
