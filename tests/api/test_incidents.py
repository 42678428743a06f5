"""Incidents over HTTP: listed across instances, retried or resolved by an admin."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import pytest_asyncio
from temporalio import activity
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment

from api.main import create_app
from tests.api.bpmn import _doc
from tests.api.conftest import Stack, api_settings, run_api, unique
from tests.api.flows import deploy, ended, start
from tests.helpers import assert_eventually
from worker import build_worker

CALLS: dict[str, int] = {}


@activity.defn(name="flaky-ledger")
async def flaky_ledger(arg: Any) -> dict[str, Any]:
    """Fails for good the first time each instance calls it (a ledger that was down), then books."""
    instance = activity.info().workflow_id or ""
    CALLS[instance] = CALLS.get(instance, 0) + 1
    if CALLS[instance] == 1:
        raise ApplicationError("ledger refused the booking", non_retryable=True)
    return {"booked": True}


def _ledger_process(process_id: str) -> bytes:
    return _doc(
        process_id,
        "Book it",
        '  <startEvent id="start"/>\n'
        '  <sequenceFlow id="f1" sourceRef="start" targetRef="book"/>\n'
        '  <serviceTask id="book" name="Book in the ledger" shenpi:type="flaky-ledger"/>\n'
        '  <sequenceFlow id="f2" sourceRef="book" targetRef="end"/>\n'
        '  <endEvent id="end"/>\n',
    )


@pytest_asyncio.fixture
async def stack(temporal_env: WorkflowEnvironment, tmp_path: Path) -> AsyncIterator[Stack]:
    settings = api_settings(tmp_path)
    async with AsyncExitStack() as exits:
        app = create_app(settings, temporal_client=temporal_env.client)
        worker = build_worker(
            temporal_env.client,
            task_queue=settings.task_queue,
            settings=settings,
            extra_activities=[flaky_ledger],
        )
        await exits.enter_async_context(worker)
        url = await exits.enter_async_context(run_api(app))
        yield Stack(url, settings, temporal_env.client, app)


async def test_an_admin_lists_and_retries_an_incident_and_the_instance_goes_on(
    stack: Stack,
) -> None:
    process_id = unique("ledger")
    await deploy(stack, _ledger_process(process_id))
    async with stack.http(unique("ida")) as ida, stack.http("root", ["admin"]) as admin:
        instance_id = await start(ida, process_id)

        async def listed() -> dict[str, Any]:
            response = await admin.get("/api/v1/incidents", params={"process_id": process_id})
            assert response.status_code == 200, response.text
            found = [i for i in response.json()["data"] if i["instance_id"] == instance_id]
            assert len(found) == 1, found
            return dict(found[0])

        incident = await assert_eventually(listed)
        refused = await ida.post(
            f"/api/v1/instances/{instance_id}/incidents/{incident['incident_id']}/retry"
        )
        resolve_instead = await admin.post(
            f"/api/v1/instances/{instance_id}/incidents/{incident['incident_id']}/resolve"
        )
        unknown = await admin.post(f"/api/v1/instances/{instance_id}/incidents/99/retry")
        retried = await admin.post(
            f"/api/v1/instances/{instance_id}/incidents/{incident['incident_id']}/retry",
            json={"comment": "ledger is back"},
        )
        again = await admin.post(
            f"/api/v1/instances/{instance_id}/incidents/{incident['incident_id']}/retry"
        )
        body = await ended(ida, instance_id)
        listed_after = await admin.get("/api/v1/incidents", params={"process_id": process_id})
    assert (incident["node_id"], incident["kind"]) == ("book", "activity_failed")
    assert refused.status_code == 403
    assert resolve_instead.status_code == 409 and "retry" in resolve_instead.text
    assert retried.status_code == 200, retried.text
    assert again.status_code == 409, again.text  # resolved now, and the instance went on
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "incident_not_found"
    assert body["status"] == "completed" and body["variables"].get("booked") is True
    assert body["incidents"][0]["resolved_at"] is not None
    retry_entry = [e for e in body["timeline"] if e["event"] == "incident_retried"]
    assert retry_entry[0]["actor"] == "root" and retry_entry[0]["comment"] == "ledger is back"
    assert listed_after.json()["data"] == []
