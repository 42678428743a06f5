"""The initiator is a variable of every instance, set by the engine and not by the request."""

from __future__ import annotations

from temporalio.client import Client
from temporalio.worker import Worker

from tests.workflows.support import open_task, start, state


async def test_the_initiator_variable_is_the_starter_even_if_the_request_names_another(
    client: Client, worker: Worker, task_queue: str
) -> None:
    # A requester who sends `initiator` must not choose whose manager approves.
    handle = await start(
        client,
        "approval",
        task_queue,
        variables={"approver": "alice", "initiator": "ceo"},
        initiator="ida",
    )
    await open_task(handle, "approve")
    assert (await state(handle)).variables["initiator"] == "ida"


async def test_an_assignee_expression_can_name_the_initiator_without_declaring_it(
    client: Client, worker: Worker, task_queue: str
) -> None:
    handle = await start(client, "initiator_task", task_queue, initiator="ida")
    task = await open_task(handle, "approve")
    assert task.assignee == "ida"
