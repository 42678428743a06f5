"""Script tasks whose script is an expression (Zeebe FEEL, Camunda/Flowable JUEL) on the real dev
server: evaluated in the workflow, the value set in the result variable."""

from __future__ import annotations

import pytest
from temporalio.client import Client
from temporalio.worker import Worker

from tests.workflows.support import decide, open_task, start, state


@pytest.mark.parametrize(("amount", "level"), [(2000, "director"), (100, "manager")])
async def test_expression_scripts_set_their_result_variables(
    client: Client, worker: Worker, task_queue: str, amount: int, level: str
) -> None:
    handle = await start(client, "script_tasks", task_queue, variables={"amount": amount})
    task = await open_task(handle, "approve")
    current = await state(handle)
    assert current.variables["total"] == pytest.approx(amount * 1.13)
    assert current.variables["level"] == level
    await decide(handle, task, "approve", "mia")
    assert (await handle.result()).status == "completed"
