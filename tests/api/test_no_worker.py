"""Without a worker on the queue, calls that need one answer 503 within the bound, never hang."""

from __future__ import annotations

import time
from pathlib import Path

from temporalio.testing import WorkflowEnvironment

from tests.api import bpmn
from tests.api.conftest import api_settings, running_stack, unique

BOUND_SECONDS = 2.0


async def test_decision_and_state_are_503_with_retry_after_when_no_worker_polls(
    temporal_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    settings = api_settings(tmp_path, update_timeout_seconds=BOUND_SECONDS)
    async with running_stack(temporal_env, settings, worker=False) as stack:
        process_id, alice = unique("orphan"), unique("alice")
        async with stack.http("ops", ["admin"]) as admin:
            assert (
                await admin.post("/api/v1/definitions", content=bpmn.single_approval(process_id))
            ).status_code == 201
        async with stack.http(alice) as http:
            started = await http.post(
                f"/api/v1/processes/{process_id}/instances", json={"variables": {"manager": alice}}
            )
            assert started.status_code == 201  # starting needs no worker: Temporal queues it
            instance_id = started.json()["instance_id"]

            began = time.monotonic()
            decision = await http.post(
                f"/api/v1/instances/{instance_id}/tasks/approve-1/decision",
                json={"action": "approve"},
                headers={"Idempotency-Key": "k1"},
            )
            decision_seconds = time.monotonic() - began

            began = time.monotonic()
            state = await http.get(f"/api/v1/instances/{instance_id}")
            state_seconds = time.monotonic() - began

    for response, seconds in ((decision, decision_seconds), (state, state_seconds)):
        assert response.status_code == 503, response.text
        assert response.json()["error"]["code"] == "unavailable"
        assert int(response.headers["retry-after"]) > 0
        assert seconds < BOUND_SECONDS + 2.0
