"""Messages and signals against a direct Temporal signal, with many instances waiting.

Run by hand: ``python -m bench.messages [--waiting 1000 10000] [--publishes 200]``. For each
count of waiting instances (each on a message keyed by its own number, and on a signal), on a
fresh dev server with one in-process worker:

- publish latency: ``publish`` (update-with-start on the key's mailbox, which signals the one
  instance) one at a time, median and p95, against a direct ``signal`` to a known workflow id
  (a signal id the instance has seen already, so it does nothing): the ratio is what the
  mailbox costs; and the same publish as ``POST /api/v1/messages`` to the API served by uvicorn
  (what a publisher calls: authentication, the message-start lookup, the mailbox);
- publish throughput: the same with 32 in flight;
- a signal broadcast to every waiting instance (the broadcast workflow and its activity) against
  signalling the same ids directly, 32 at a time.

The numbers go to docs/benchmarks.md ("Messages and signals"); the machines are noisy, so quote
the ratios and medians of the same run.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from bpmn_compiler import compile_bpmn
from shenpi import messaging_client
from shenpi.devserver import PRIORITY_ARGS
from shenpi.settings import Settings
from shenpi_core import search_attributes
from shenpi_core.contracts import StartInput
from shenpi_core.messaging import (
    SIGNAL_BPMN,
    BpmnSignal,
    BroadcastInput,
    BroadcastResult,
    Message,
    PublishInput,
)
from tests.api.conftest import api_settings, running_stack

BIN_DIR = Path(sys.executable).parent
IN_FLIGHT = 32
SHAPE = b"""<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" id="d" targetNamespace="https://bench">
  <message id="m" name="bench-paid">
    <extensionElements><zeebe:subscription correlationKey="=key" /></extensionElements>
  </message>
  <signal id="s" name="bench-close" />
  <process id="bench-messages" isExecutable="true">
    <startEvent id="start" />
    <parallelGateway id="both" />
    <intermediateCatchEvent id="paid">
      <messageEventDefinition messageRef="m" />
    </intermediateCatchEvent>
    <intermediateCatchEvent id="closed">
      <signalEventDefinition signalRef="s" />
    </intermediateCatchEvent>
    <endEvent id="end_paid" /><endEvent id="end_closed" />
    <sequenceFlow id="f1" sourceRef="start" targetRef="both" />
    <sequenceFlow id="f2" sourceRef="both" targetRef="paid" />
    <sequenceFlow id="f3" sourceRef="both" targetRef="closed" />
    <sequenceFlow id="f4" sourceRef="paid" targetRef="end_paid" />
    <sequenceFlow id="f5" sourceRef="closed" targetRef="end_closed" />
  </process>
</definitions>"""


async def _start_waiting(client: Client, queue: str, first: int, count: int) -> list[str]:
    plan = compile_bpmn(SHAPE).plan
    gate = asyncio.Semaphore(IN_FLIGHT)

    async def one(n: int) -> str:
        async with gate:
            handle = await client.start_workflow(
                plan.process_id,
                StartInput(plan=plan, version=1, variables={"key": str(n)}, initiator="bench"),
                id=f"bench-{n}-{uuid.uuid4().hex[:6]}",
                task_queue=queue,
            )
            return handle.id

    return list(await asyncio.gather(*(one(n) for n in range(first, first + count))))


async def _until(check: Callable[[], Awaitable[bool]], seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not await check():
        if time.monotonic() > deadline:
            raise TimeoutError("the instances did not subscribe in time")
        await asyncio.sleep(1)


async def _timed(calls: list[Callable[[], Awaitable[Any]]], in_flight: int) -> list[float]:
    gate = asyncio.Semaphore(in_flight)
    took: list[float] = []

    async def one(call: Callable[[], Awaitable[Any]]) -> None:
        async with gate:
            began = time.perf_counter()
            await call()
            took.append(time.perf_counter() - began)

    await asyncio.gather(*(one(c) for c in calls))
    return took


def _summary(took: list[float], wall: float) -> dict[str, float]:
    ordered = sorted(took)
    return {
        "median_ms": statistics.median(ordered) * 1000,
        "p95_ms": ordered[int(len(ordered) * 0.95) - 1] * 1000,
        "per_s": len(ordered) / wall,
    }


async def _measure(
    client: Client, queue: str, ids: list[str], publishes: int, http: httpx.AsyncClient
) -> dict[str, Any]:
    sample = ids[:publishes]
    quarter = publishes // 4

    def publish(n: int) -> Callable[[], Awaitable[Any]]:
        message = Message(name="bench-paid", correlation_key=str(n), message_id=uuid.uuid4().hex)
        return lambda: messaging_client.publish(client, queue, PublishInput(message=message))

    def post(n: int) -> Callable[[], Awaitable[Any]]:
        async def call() -> None:
            body = {"name": "bench-paid", "correlation_key": str(n)}
            answer = await http.post("/api/v1/messages", json=body)
            answer.raise_for_status()
            assert answer.json()["correlated"], answer.text

        return call

    def direct(workflow_id: str) -> Callable[[], Awaitable[Any]]:
        seen = BpmnSignal(name="bench-none", signal_id="bench-seen")
        return lambda: client.get_workflow_handle(workflow_id).signal(SIGNAL_BPMN, seen)

    results: dict[str, Any] = {}
    # Each publish takes one instance's message: the four kinds of publish use four quarters.
    for label, calls, in_flight in (
        ("direct_signal_1", [direct(i) for i in sample], 1),
        ("publish_1", [publish(n) for n in range(quarter)], 1),
        ("http_1", [post(n) for n in range(quarter, 2 * quarter)], 1),
        ("direct_signal_32", [direct(i) for i in sample], IN_FLIGHT),
        ("publish_32", [publish(n) for n in range(2 * quarter, 3 * quarter)], IN_FLIGHT),
        ("http_32", [post(n) for n in range(3 * quarter, publishes)], IN_FLIGHT),
    ):
        began = time.perf_counter()
        took = await _timed(calls, in_flight)
        results[label] = _summary(took, time.perf_counter() - began)
    began = time.perf_counter()
    await _timed([direct(i) for i in ids], IN_FLIGHT)
    results["direct_signal_all_s"] = time.perf_counter() - began
    signal = BpmnSignal(name="bench-close", signal_id=uuid.uuid4().hex)
    began = time.perf_counter()
    workflow_id = await messaging_client.start_broadcast(
        client, queue, BroadcastInput(signal=signal)
    )
    done = await client.get_workflow_handle(workflow_id, result_type=BroadcastResult).result()
    results["broadcast_all_s"] = time.perf_counter() - began
    results["broadcast_delivered"] = done.delivered
    return results


async def _one_count(waiting: int, publishes: int, cache: int, wave: int) -> dict[str, Any]:
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=str(BIN_DIR / "temporal"),
        data_converter=pydantic_data_converter,
        search_attributes=search_attributes.ALL,
        dev_server_extra_args=list(PRIORITY_ARGS),
    )
    data_dir = Path(tempfile.mkdtemp(prefix="bench-messages-"))
    settings = api_settings(data_dir, worker_max_cached_workflows=cache)
    queue = settings.task_queue
    try:
        async with running_stack(env, settings) as stack:
            http = stack.http("bench-publisher", [settings.admin_group])
            began = time.perf_counter()
            ids: list[str] = []
            query = "ShenpiWaitingFor = 'signal:bench-close' AND ExecutionStatus = 'Running'"
            # Instances arrive in waves, each subscribed before the next starts: the figures
            # are of publishing to N waiting instances, not of N subscribing in one burst
            # (docs/benchmarks.md has what a burst costs).
            while len(ids) < waiting:
                ids += await _start_waiting(
                    env.client, queue, len(ids), min(wave, waiting - len(ids))
                )
                expected = len(ids)

                async def all_waiting(expected: int = expected) -> bool:
                    mailboxes = await env.client.count_workflows(
                        "WorkflowType = 'shenpi-mailbox' AND ExecutionStatus = 'Running'"
                    )
                    listed = await env.client.count_workflows(query)
                    return mailboxes.count >= expected and listed.count >= expected

                await _until(all_waiting, max(120.0, wave / 5))
                print(f"  {expected} waiting after {time.perf_counter() - began:.0f} s", flush=True)
            setup = time.perf_counter() - began
            async with http:
                results = await _measure(env.client, queue, ids, publishes, http)
            return {"waiting": waiting, "wave": wave, "setup_s": setup, **results}
    finally:
        await env.shutdown()
        shutil.rmtree(data_dir, ignore_errors=True)


def _report(row: dict[str, Any]) -> str:
    p1, d1, h1 = row["publish_1"], row["direct_signal_1"], row["http_1"]
    p32, d32, h32 = row["publish_32"], row["direct_signal_32"], row["http_32"]
    return (
        f"waiting {row['waiting']}: publish median {p1['median_ms']:.1f} ms (p95"
        f" {p1['p95_ms']:.1f}), POST /messages {h1['median_ms']:.1f} ms (p95"
        f" {h1['p95_ms']:.1f}) vs direct signal {d1['median_ms']:.1f} ms ="
        f" {p1['median_ms'] / d1['median_ms']:.2f}x / {h1['median_ms'] / d1['median_ms']:.2f}x;"
        f" 32 in flight {p32['per_s']:.0f}/s, POST {h32['per_s']:.0f}/s vs {d32['per_s']:.0f}/s;"
        f" broadcast to {row['broadcast_delivered']} in {row['broadcast_all_s']:.1f} s vs direct"
        f" {row['direct_signal_all_s']:.1f} s ="
        f" {row['broadcast_all_s'] / row['direct_signal_all_s']:.2f}x"
        f" (setup {row['setup_s']:.0f} s in waves of {row['wave']})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--waiting", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--publishes", type=int, default=200)
    parser.add_argument(
        "--cache",
        type=int,
        default=Settings.model_fields["worker_max_cached_workflows"].default,
        help="the worker's workflow cache (each instance and each mailbox is one workflow)",
    )
    parser.add_argument(
        "--wave",
        type=int,
        default=1000,
        help="instances started at a time, each wave subscribed before the next starts",
    )
    args = parser.parse_args()
    for waiting in args.waiting:
        row = asyncio.run(_one_count(waiting, args.publishes, args.cache, args.wave))
        print(_report(row), flush=True)


if __name__ == "__main__":
    main()
