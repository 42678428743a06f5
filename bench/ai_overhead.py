"""`python -m bench.ai_overhead`: what an AI step costs an instance beyond the model's own latency.

One dev server, one worker in this process, a local OpenAI-compatible server that answers after a
fixed delay. Two processes of the same shape, start → service task → end, run alternately:

- ``ai``: the service task is ``ai-review`` (the real activity: prompt rendering in the sandbox,
  result cache in SQLite, the ``openai`` client over HTTP, output validation, metrics);
- ``baseline``: the service task is a no-op activity.

Per instance, overhead = the ``ai-review`` activity's time (scheduled to completed, from the
server's event times) − the provider latency the activity measured itself − the no-op activity's
median time. Fresh reviews (cache off) and cached reviews (the same request again) are
reported apart. Prints a Markdown report.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from temporalio import activity
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from bpmn_compiler import compile_bpmn
from shenpi.settings import Settings
from shenpi_core import search_attributes
from shenpi_core.contracts import InstanceState, ServiceTaskInput, StartInput
from shenpi_core.process_plan import ProcessPlan
from tests.ai.fake_openai import answer, running_fake_openai
from worker import build_worker

BIN_DIR = Path(sys.executable).parent
NOOP = "bench-noop"

_BPMN = """<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:shenpi="http://shenpi.dev/schema/bpmn/1.0" targetNamespace="http://shenpi.dev/bench">
  <process id="{pid}" isExecutable="true">
    <startEvent id="start"/>
    <sequenceFlow id="f1" sourceRef="start" targetRef="task"/>
    <serviceTask id="task" shenpi:type="{kind}">{ai}</serviceTask>
    <sequenceFlow id="f2" sourceRef="task" targetRef="end"/>
    <endEvent id="end"/>
  </process>
</definitions>
"""
_AI = '<extensionElements><shenpi:ai model="bench" threshold="0.8"/></extensionElements>'


@activity.defn(name=NOOP)
async def noop(input: ServiceTaskInput) -> dict[str, Any]:
    return {}


def _plan(pid: str, kind: str, ai: str = "") -> ProcessPlan:
    xml = _BPMN.format(pid=pid, kind=kind, ai=ai).encode()
    return compile_bpmn(xml, source=pid).plan


async def _run(client: Client, queue: str, plan: ProcessPlan, variables: dict[str, Any]) -> Any:
    """One instance to its end: seconds, provider latency (ms, or None), cached, history events,
    and the seconds its service task's activity ran."""
    began = time.perf_counter()
    handle = await client.start_workflow(
        plan.process_id,
        StartInput(plan=plan, version=1, variables=variables, initiator="bench"),
        id=f"{plan.process_id}-{uuid.uuid4().hex[:10]}",
        task_queue=queue,
        result_type=InstanceState,
    )
    final: InstanceState = await handle.result()
    seconds = time.perf_counter() - began
    reviewed = [e for e in final.timeline if e.event == "ai_reviewed"]
    latency = reviewed[0].details.get("latency_ms") if reviewed else None
    cached = bool(reviewed and reviewed[0].details.get("cached"))
    history = await handle.fetch_history()
    return seconds, latency, cached, len(history.events), _activity_seconds(history.events)


def _activity_seconds(events: Any) -> float:
    """From scheduling the service task's activity (the first one; the archive step comes last)
    to its completion, as the server recorded them."""
    scheduled = next(e for e in events if e.HasField("activity_task_scheduled_event_attributes"))
    completed = next(
        e
        for e in events
        if e.HasField("activity_task_completed_event_attributes")
        and e.activity_task_completed_event_attributes.scheduled_event_id == scheduled.event_id
    )
    elapsed = completed.event_time.ToDatetime() - scheduled.event_time.ToDatetime()
    return float(elapsed.total_seconds())


def _ms(values: list[float]) -> str:
    ordered = sorted(values)
    p90 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.9))]
    return f"{statistics.median(values) * 1000:.1f} / {p90 * 1000:.1f}"


async def main(instances: int, delay: float) -> None:
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=str(BIN_DIR / "temporal"),
        data_converter=pydantic_data_converter,
        search_attributes=search_attributes.ALL,
    )
    queue = f"bench-ai-{uuid.uuid4().hex[:8]}"
    ai_plan = _plan("bench-ai", "ai-review", _AI)
    base_plan = _plan("bench-baseline", NOOP)
    try:
        async with running_fake_openai() as model:
            model.script("bench", [answer("approve", 0.95, "Fine.", delay=delay)])
            settings = Settings(
                _env_file=None,
                env="test",
                data_dir=Path(tempfile.mkdtemp()),
                ai_provider="openai",
                ai_base_url=model.base_url,
                ai_api_key="bench",
            )
            async with build_worker(
                env.client, task_queue=queue, settings=settings, extra_activities=[noop]
            ):
                await _run(env.client, queue, ai_plan, {"n": -1})  # warm-up: imports, DB, client
                await _run(env.client, queue, base_plan, {})
                base: list[tuple[float, float]] = []
                fresh: list[tuple[float, float, float]] = []
                cached: list[tuple[float, float]] = []
                events = {"ai": 0, "baseline": 0}
                for n in range(instances):
                    s, _, _, events["baseline"], act = await _run(env.client, queue, base_plan, {})
                    base.append((s, act))
                    # A new request each time (n differs): the provider is asked.
                    s, latency, hit, events["ai"], act = await _run(
                        env.client, queue, ai_plan, {"n": n}
                    )
                    assert not hit and latency is not None
                    fresh.append((s, act, latency / 1000))
                    # The same request again: served from the cache.
                    s, _, hit, _, act = await _run(env.client, queue, ai_plan, {"n": n})
                    assert hit
                    cached.append((s, act))
    finally:
        await env.shutdown()
    base_act = statistics.median(a for _, a in base)
    print(f"{instances} instances each, model delay {delay * 1000:.0f} ms, median / p90:\n")
    print(
        "| variant | end-to-end ms | activity ms | provider latency ms "
        "| activity beyond the model and the no-op ms |"
    )
    print("|---|---:|---:|---:|---:|")
    base_s = _ms([s for s, _ in base])
    print(f"| baseline (no-op activity) | {base_s} | {_ms([a for _, a in base])} | – | – |")
    print(
        f"| ai-review, fresh | {_ms([s for s, _, _ in fresh])} | {_ms([a for _, a, _ in fresh])} "
        f"| {_ms([lat for _, _, lat in fresh])} "
        f"| {_ms([a - lat - base_act for _, a, lat in fresh])} |"
    )
    print(
        f"| ai-review, cached | {_ms([s for s, _ in cached])} | {_ms([a for _, a in cached])} | 0 "
        f"| {_ms([a - base_act for _, a in cached])} |"
    )
    print(
        "\nEnd-to-end times include three workflow-task dispatches whose latency on the dev server"
        " varies by tens of ms between runs; the activity times are the server's own timestamps"
        " (scheduled to completed) and isolate the AI step."
    )
    ai_events, base_events = events["ai"], events["baseline"]
    print(f"\nHistory events per instance: ai-review {ai_events}, baseline {base_events}.")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--instances", type=int, default=30)
    parser.add_argument("--model-delay", type=float, default=0.2, help="seconds")
    args = parser.parse_args()
    asyncio.run(main(args.instances, args.model_delay))
