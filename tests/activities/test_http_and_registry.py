"""The generic http activity and custom service-task types from configuration."""

from __future__ import annotations

import pytest
from temporalio.client import Client

from activities.registry import BUILTIN_TYPES, RegistryError, build_registry, parse_custom_types
from shenpi.settings import Settings
from shenpi_core.contracts import QUERY_STATE, InstanceState
from tests.activities.support import running_worker, service_process, start
from tests.activities.webhook_server import webhook_server
from tests.helpers import assert_eventually


async def test_http_task_sends_variables_and_merges_the_json_answer(
    client: Client, task_queue: str
) -> None:
    with webhook_server([200], reply={"credit": "ok", "limit": 5000}) as api:
        process = service_process(("http", {"url": api.url, "header.X-Api-Key": "k-123"}))
        async with running_worker(client, task_queue):
            final = await (await start(client, process, task_queue, {"customer": "c-7"})).result()

    assert (final.variables["credit"], final.variables["limit"]) == ("ok", 5000)
    (request,) = api.received
    assert (request.method, request.headers["X-Api-Key"]) == ("POST", "k-123")
    assert request.json() == {"customer": "c-7", "initiator": "ida"}  # every instance has it


async def test_custom_types_from_settings_run_async_and_blocking_implementations(
    client: Client, task_queue: str
) -> None:
    process = service_process(("echo", {"word": "hi"}), ("shout", {}))
    custom = "echo=tests.activities.custom:echo, shout=tests.activities.custom:shout"
    async with running_worker(client, task_queue, custom_activity_types=custom):
        final = await (await start(client, process, task_queue, {"word": "ok"})).result()
    assert (final.variables["echoed"], final.variables["shouted"]) == ("hi", "OK")


@pytest.mark.parametrize(
    "config",
    [
        "echo",
        "echo=tests.activities.custom",
        "echo=tests.activities.missing:echo",
        "echo=tests.activities.custom:nope",
        "echo=tests.activities.custom:NOT_CALLABLE",
    ],
)
async def test_bad_custom_type_configuration_is_refused_at_worker_start(config: str) -> None:
    with pytest.raises(RegistryError):
        build_registry(Settings(_env_file=None, custom_activity_types=config))


async def test_registry_serves_notify_and_http_plus_configured_types() -> None:
    assert list(build_registry(Settings(_env_file=None)).by_type) == list(BUILTIN_TYPES)
    registry = build_registry(
        Settings(_env_file=None, custom_activity_types=" echo = tests.activities.custom:echo ,")
    )
    assert list(registry.by_type) == [*BUILTIN_TYPES, "echo"]
    await registry.aclose()


def test_custom_type_list_tolerates_spaces_and_empty_items() -> None:
    assert parse_custom_types("") == []
    assert parse_custom_types(" a=m:f , ,b = n:g ") == [("a", "m:f"), ("b", "n:g")]


@pytest.mark.parametrize(
    ("status", "config"),
    [(402, {"error.402": "card_declined"}), (404, {"error.4xx": "card_declined"})],
)
async def test_http_answer_configured_as_a_bpmn_error_is_thrown_once_without_retries(
    client: Client, task_queue: str, status: int, config: dict[str, str]
) -> None:
    with webhook_server([status]) as api:
        process = service_process(("http", {"url": api.url, **config}))
        async with running_worker(client, task_queue):
            handle = await start(client, process, task_queue)

            async def thrown() -> None:
                current = await handle.query(QUERY_STATE, result_type=InstanceState)
                [incident] = current.incidents or [None]
                assert incident is not None and incident.kind == "unhandled_error"
                assert "'card_declined'" in incident.message and f"HTTP {status}" in (
                    incident.message
                )

            await assert_eventually(thrown)
        assert len(api.received) == 1  # a BPMN error is an answer, not a failure to retry
