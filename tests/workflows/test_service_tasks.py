"""Service tasks: activities by type, results into variables, failures and missing workers as
incidents (never a silent hang)."""

from __future__ import annotations

from typing import Any

from temporalio import activity
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from shenpi_core.contracts import ServiceTaskInput
from tests.helpers import assert_eventually
from tests.workflows.support import (
    decide,
    event_types,
    open_task,
    settings_for_tests,
    start,
    state,
    timeline_events,
)
from worker import build_worker


async def test_service_task_result_lands_in_its_result_variable(
    client: Client, worker: Worker, task_queue: str
) -> None:
    handle = await start(client, "service_task", task_queue, variables={"amount": 120})
    task = await open_task(handle, "approve")
    current = await state(handle)
    assert current.variables["scoring"] == {"score": 0.9, "amount_seen": 120}
    assert timeline_events(current) == ["started", "service_completed", "task_opened"]

    await decide(handle, task, "approve", "alice")
    assert (await handle.result()).outcome == "approved"


async def test_activity_failing_after_its_retries_is_an_incident(
    client: Client, worker: Worker, task_queue: str
) -> None:
    handle = await start(client, "failing_service", task_queue)

    async def incident_shown() -> None:
        current = await state(handle)
        assert current.status == "incident"
        (incident,) = current.incidents
        assert (incident.node_id, incident.kind) == ("book", "activity_failed")
        assert incident.message == "ERP refused booking book (attempt 2)"
        assert [t["state"] for t in current.tokens] == ["incident"]
        assert timeline_events(current) == ["started", "service_failed", "incident"]

    await assert_eventually(incident_shown)
    assert "EVENT_TYPE_WORKFLOW_TASK_FAILED" not in await event_types(handle)


async def test_type_no_worker_serves_shows_waiting_for_worker_then_runs_when_one_appears(
    skipping_env: WorkflowEnvironment, task_queue: str
) -> None:
    client = skipping_env.client
    # No workflow cache, so no sticky queue: the next worker gets the workflow tasks at once.
    async with build_worker(
        client, task_queue=task_queue, settings=settings_for_tests(), max_cached_workflows=0
    ):
        handle = await start(client, "unserved_service", task_queue)

        async def waiting_shown() -> None:
            current = await state(handle)
            assert current.status == "incident"
            assert [(i.node_id, i.kind) for i in current.incidents] == [
                ("archive", "waiting_for_worker")
            ]
            assert "nobody-serves-this" in current.incidents[0].message
            assert [t["state"] for t in current.tokens] == ["wait"]  # still waiting, not parked

        await assert_eventually(waiting_shown)

    @activity.defn(name="nobody-serves-this")
    async def archive(input: ServiceTaskInput) -> dict[str, Any]:
        return {"archived": True}

    async with build_worker(
        client, task_queue=task_queue, settings=settings_for_tests(), extra_activities=[archive]
    ):
        final = await handle.result()  # time skips past the back-off, the new worker serves it
    assert (final.status, final.variables["archived"]) == ("completed", True)
    assert final.incidents[0].resolved_at is not None


async def test_queue_nobody_polls_shows_waiting_for_worker(
    client: Client, worker: Worker, task_queue: str
) -> None:
    # The test server does not skip time while an activity is scheduled, so this one runs on the
    # dev server with a short wait for a worker.
    handle = await start(client, "unpolled_queue", task_queue, worker_wait_seconds=1)

    async def waiting_shown() -> None:
        current = await state(handle)
        assert [(i.kind, i.resolved_at) for i in current.incidents] == [
            ("waiting_for_worker", None)
        ]
        assert "nobody-polls-this-queue" in current.incidents[0].message
        assert current.status == "incident"

    await assert_eventually(waiting_shown)
    types = await event_types(handle)
    assert types.count("EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT") >= 1
    assert types.count("EVENT_TYPE_ACTIVITY_TASK_SCHEDULED") >= 2  # rescheduled: still waiting
