"""AI outcomes and fallbacks are counted by the workflow, per process and node, and exported with
the worker's Prometheus metrics (the SDK's meter skips replays: each review counts once)."""

from __future__ import annotations

import asyncio
import urllib.request

from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.runtime import Runtime, TelemetryConfig

from tests.helpers import assert_eventually
from tests.ports import free_port
from tests.workflows.ai_support import ai_worker, with_ai
from tests.workflows.approval_support import start_plan
from tests.workflows.support import decide, wait_open_tasks
from worker import prometheus_config


async def _metered(client: Client) -> tuple[Client, int]:
    """A client on a runtime of its own, exporting what its workers count on a free port, named
    as the production worker names it."""
    port = free_port()
    runtime = Runtime(telemetry=TelemetryConfig(metrics=prometheus_config(f"127.0.0.1:{port}")))
    metered = await Client.connect(
        client.service_client.config.target_host,
        namespace=client.namespace,
        data_converter=pydantic_data_converter,
        runtime=runtime,
    )
    return metered, port


async def _scrape(port: int) -> str:
    def get() -> str:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
            text: str = response.read().decode()
            return text

    return await asyncio.to_thread(get)


async def test_auto_decisions_hand_overs_and_fallbacks_are_counted_per_node(
    client: Client, task_queue: str
) -> None:
    metered, port = await _metered(client)
    approving = with_ai("approval", "approve", ai={"mode": "decide", "prompt": "approve 0.95"})
    hesitant = with_ai("approval", "approve", ai={"mode": "decide", "prompt": "approve 0.5"})
    alice = {"approver": "alice"}
    async with ai_worker(metered, task_queue):
        await (await start_plan(metered, approving, task_queue, variables=alice)).result()
        await wait_open_tasks(await start_plan(metered, hesitant, task_queue, variables=alice), 1)

        async def counted() -> None:
            text = await _scrape(port)
            lines = [line for line in text.splitlines() if line.startswith("shenpi_ai_")]
            outcomes = [line for line in lines if line.startswith("shenpi_ai_outcomes")]
            fallbacks = [line for line in lines if line.startswith("shenpi_ai_fallbacks")]
            assert any('outcome="auto_approved"' in x and x.endswith(" 1") for x in outcomes), lines
            assert any('outcome="handed_over"' in x and x.endswith(" 1") for x in outcomes), lines
            assert any(
                'reason="below_threshold"' in x and 'node_id="approve"' in x for x in fallbacks
            )

        await assert_eventually(counted)


async def test_shadow_answers_are_compared_with_the_person_who_decides(
    client: Client, task_queue: str
) -> None:
    metered, port = await _metered(client)
    shadow = with_ai("approval", "approve", ai={"mode": "shadow", "prompt": "approve 0.99"})
    alice = {"approver": "alice"}
    async with ai_worker(metered, task_queue):
        for action in ("approve", "reject"):
            handle = await start_plan(metered, shadow, task_queue, variables=alice)
            (task,) = await wait_open_tasks(handle, 1)
            await decide(handle, task, action, "alice")
            await handle.result()

        async def counted() -> None:
            lines = [x for x in (await _scrape(port)).splitlines() if "shenpi_ai_" in x]
            agreement = [x for x in lines if x.startswith("shenpi_ai_agreement")]
            assert any('agreed="true"' in x and x.endswith(" 1") for x in agreement), lines
            assert any('agreed="false"' in x and x.endswith(" 1") for x in agreement), lines
            shadowed = [x for x in lines if 'outcome="shadowed"' in x]
            assert shadowed and shadowed[0].endswith(" 2"), lines

        await assert_eventually(counted)
