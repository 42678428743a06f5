"""Engine listeners as activities, on the real dev server: start listeners before the node (a
task's create too), end listeners after it (complete first), each one's result set as
variables, a failing listener an incident that a retry runs again."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest_asyncio
from temporalio.client import Client
from temporalio.worker import Worker

from shenpi_core.contracts import (
    UPDATE_INCIDENT_ACTION,
    IncidentActionInput,
    IncidentActionResult,
)
from tests.helpers import assert_eventually
from tests.workflows.listener_support import CALLS, FAIL_ONCE, listener_activities
from tests.workflows.support import decide, open_task, settings_for_tests, start, state
from worker import build_worker


@pytest_asyncio.fixture
async def listening_worker(client: Client, task_queue: str) -> AsyncIterator[Worker]:
    extra = listener_activities()
    async with build_worker(
        client, task_queue=task_queue, settings=settings_for_tests(), extra_activities=extra
    ) as running:
        yield running


async def test_listeners_run_around_their_nodes_in_order(
    client: Client, listening_worker: Worker, task_queue: str
) -> None:
    CALLS.clear()
    handle = await start(client, "listeners", task_queue)
    review = await open_task(handle, "review")
    assert CALLS == ["start:auditStart", "start:com.acme.ReviewOpened"]  # before the task opened
    assert (await state(handle)).variables["seen_ReviewOpened"] is True
    await decide(handle, review, "approve", "mia")
    final = await handle.result()
    assert CALLS == [
        "start:auditStart",
        "start:com.acme.ReviewOpened",
        "end:com.acme.ReviewDone",
        "end:auditEnd",
        "start:check-budget",
        "task:book-it",
    ]
    assert final.variables["seen_auditEnd"] is True and final.variables["seen_book-it"] is True
    completed = [e.details["event"] for e in final.timeline if e.event == "listener_completed"]
    assert completed == ["start", "start", "end", "end", "start"]


async def test_a_failing_listener_is_an_incident_that_a_retry_runs_again(
    client: Client, listening_worker: Worker, task_queue: str
) -> None:
    CALLS.clear()
    FAIL_ONCE.add("auditStart")
    handle = await start(client, "listeners", task_queue)

    async def failed() -> None:
        instance = await state(handle)
        assert [(i.node_id, i.kind) for i in instance.incidents] == [("review", "activity_failed")]
        assert not instance.tasks  # the task never opened

    await assert_eventually(failed)
    retry = IncidentActionInput(incident_id="1", action="retry", actor="root", is_admin=True)
    await handle.execute_update(UPDATE_INCIDENT_ACTION, retry, result_type=IncidentActionResult)
    await decide(handle, await open_task(handle, "review"), "approve", "mia")
    assert (await handle.result()).status == "completed"
    assert CALLS[:3] == ["start:auditStart", "start:auditStart", "start:com.acme.ReviewOpened"]
