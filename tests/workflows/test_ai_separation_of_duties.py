"""Separation of duties: the AI principal ``ai:<model>`` never completes a human-required task,
even where the task names it; elsewhere it acts only where the task names it, like anyone."""

from __future__ import annotations

from typing import Any

import pytest
from temporalio.client import Client, WorkflowHandle, WorkflowUpdateFailedError
from temporalio.worker import Worker

from shenpi_core.contracts import ErrorType
from shenpi_core.process_plan import ProcessPlan
from tests.workflows.ai_support import PRINCIPAL, with_ai
from tests.workflows.approval_support import literal, start_plan
from tests.workflows.support import decide, history_length, wait_open_tasks


def named_for_the_ai(*, human_required: bool) -> ProcessPlan:
    return with_ai(
        "approval", "approve", assignee=literal(PRINCIPAL), human_required=human_required
    )


async def refusal(handle: WorkflowHandle[Any, Any], *args: Any) -> str:
    """Decide, expect a refusal that left no trace in history; return its error type."""
    before = await history_length(handle)
    with pytest.raises(WorkflowUpdateFailedError) as err:
        await decide(handle, *args)
    assert await history_length(handle) == before
    return str(err.value.cause.type)  # type: ignore[attr-defined]


async def test_ai_principal_is_refused_on_a_human_required_task_even_when_named(
    client: Client, worker: Worker, task_queue: str
) -> None:
    handle = await start_plan(client, named_for_the_ai(human_required=True), task_queue)
    (task,) = await wait_open_tasks(handle, 1)
    assert task.assignee == PRINCIPAL
    assert await refusal(handle, task, "approve", PRINCIPAL) == ErrorType.NOT_ALLOWED
    assert (await wait_open_tasks(handle, 1))[0].status == "open"


async def test_ai_principal_named_on_an_ordinary_task_may_decide_it(
    client: Client, worker: Worker, task_queue: str
) -> None:
    handle = await start_plan(client, named_for_the_ai(human_required=False), task_queue)
    (task,) = await wait_open_tasks(handle, 1)
    result = await decide(handle, task, "approve", PRINCIPAL)
    assert (result.task.outcome, result.instance_status) == ("approved", "completed")


async def test_ai_principal_not_named_on_a_task_is_refused(
    client: Client, worker: Worker, task_queue: str
) -> None:
    handle = await start_plan(
        client, with_ai("approval", "approve"), task_queue, variables={"approver": "alice"}
    )
    (task,) = await wait_open_tasks(handle, 1)
    assert await refusal(handle, task, "approve", PRINCIPAL) == ErrorType.NOT_ALLOWED
