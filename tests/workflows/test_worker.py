"""The worker process: search attributes registered idempotently, Prometheus metrics, an instance
served, and a clean shutdown when cancelled."""

from __future__ import annotations

import asyncio
import uuid

import httpx
from google.protobuf.duration_pb2 import Duration
from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import ListSearchAttributesRequest
from temporalio.api.workflowservice.v1 import RegisterNamespaceRequest
from temporalio.testing import WorkflowEnvironment

from shenpi.temporal_setup import ensure_search_attributes
from shenpi_core import search_attributes
from tests.helpers import assert_eventually
from tests.ports import free_port
from tests.workflows.support import decide, open_task, settings_for_tests, start
from worker import run_worker


async def test_search_attribute_registration_is_idempotent(
    temporal_env: WorkflowEnvironment, skipping_env: WorkflowEnvironment
) -> None:
    assert await ensure_search_attributes(temporal_env.client, "default") == []  # already there
    # The time-skipping server cannot list them; registering again must still succeed.
    await ensure_search_attributes(skipping_env.client, "default")


async def test_a_namespace_without_them_gets_every_attribute_with_its_type(
    temporal_env: WorkflowEnvironment,
) -> None:
    """As a server set up before ``ShenpiNextDue`` existed: the worker's boot adds what is
    missing (a Datetime here), and nothing the second time."""
    namespace = f"ns-{uuid.uuid4().hex[:8]}"
    await temporal_env.client.workflow_service.register_namespace(
        RegisterNamespaceRequest(
            namespace=namespace, workflow_execution_retention_period=Duration(seconds=86400)
        )
    )
    added = await ensure_search_attributes(temporal_env.client, namespace)
    assert added == sorted(key.name for key in search_attributes.ALL)
    listed = await temporal_env.client.operator_service.list_search_attributes(
        ListSearchAttributesRequest(namespace=namespace)
    )
    assert listed.custom_attributes["ShenpiNextDue"] == IndexedValueType.INDEXED_VALUE_TYPE_DATETIME
    assert await ensure_search_attributes(temporal_env.client, namespace) == []


async def test_run_worker_serves_instances_exports_metrics_and_stops_on_cancel(
    temporal_env: WorkflowEnvironment,
) -> None:
    client = temporal_env.client
    port, queue = free_port(), f"tq-{uuid.uuid4()}"
    settings = settings_for_tests(
        temporal_address=client.service_client.config.target_host,
        task_queue=queue,
        worker_metrics_port=port,
    )
    running = asyncio.create_task(run_worker(settings))
    try:
        handle = await start(client, "approval", queue, variables={"approver": "alice"})
        await decide(handle, await open_task(handle, "approve"), "approve", "alice")
        assert (await handle.result()).outcome == "approved"

        async def metrics_exported() -> None:
            async with httpx.AsyncClient() as http:
                response = await http.get(f"http://127.0.0.1:{port}/metrics")
            assert response.status_code == 200
            # Prometheus's conventions: counters end in _total.
            assert "temporal_workflow_completed_total" in response.text
            assert "shenpi_instances_completed_total" in response.text
            # The domain counter comes from the workflow itself, once per instance.
            assert 'outcome="approved",process_id="approval"' in response.text

        await assert_eventually(metrics_exported)
    finally:
        running.cancel()
        await asyncio.wait_for(asyncio.gather(running, return_exceptions=True), timeout=20)
    assert running.cancelled()  # shut down by the cancel, not by an error
