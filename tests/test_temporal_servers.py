"""The session fixtures really start both servers (every other test depends on them)."""

from temporalio.testing import WorkflowEnvironment


async def test_dev_server_has_shenpi_search_attributes(temporal_env: WorkflowEnvironment) -> None:
    from temporalio.api.operatorservice.v1 import ListSearchAttributesRequest

    resp = await temporal_env.client.operator_service.list_search_attributes(
        ListSearchAttributesRequest(namespace="default")
    )
    assert "ShenpiPendingActors" in resp.custom_attributes
    assert "ShenpiStatus" in resp.custom_attributes


async def test_time_skipping_server_supports_time_skipping(
    time_skipping_env: WorkflowEnvironment,
) -> None:
    assert time_skipping_env.supports_time_skipping
