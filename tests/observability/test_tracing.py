"""An HTTP decision is traced through the Temporal update it sends to the activity the update
starts; the JSON log line the activity writes carries the instance and trace ids.

Real servers throughout: uvicorn, the Temporal dev server, a worker; spans go to an in-memory
exporter instead of an OTLP collector.
"""

from __future__ import annotations

import io
import json
import logging
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest_asyncio
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind
from temporalio import activity
from temporalio.testing import WorkflowEnvironment

from api.main import create_app
from shenpi.logs import JsonFormatter
from shenpi.telemetry import instrument_api, temporal_interceptors
from tests.api.bpmn import _doc
from tests.api.conftest import Stack, api_settings, unique
from tests.api.flows import decided, deploy, ended, start, task_of
from tests.observability.support import own_client, worker_and_api


@activity.defn(name="trace-probe")
async def trace_probe(arg: Any) -> dict[str, Any]:
    activity.logger.info("booked after the decision")
    return {"booked": True}


def _approve_then_book(process_id: str) -> bytes:
    return _doc(
        process_id,
        "Approve, then book",
        '  <startEvent id="start"/>\n'
        '  <sequenceFlow id="f1" sourceRef="start" targetRef="approve"/>\n'
        '  <userTask id="approve" name="Approve" shenpi:assignee="${manager}"/>\n'
        '  <sequenceFlow id="f2" sourceRef="approve" targetRef="book"/>\n'
        '  <serviceTask id="book" name="Book" shenpi:type="trace-probe"/>\n'
        '  <sequenceFlow id="f3" sourceRef="book" targetRef="end"/>\n'
        '  <endEvent id="end"/>\n',
    )


@contextmanager
def json_log_lines() -> Iterator[io.StringIO]:
    """The root logger's records, as the worker writes them with SHENPI_LOG_FORMAT=json."""
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    try:
        yield out
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)


@pytest_asyncio.fixture
async def traced(
    temporal_env: WorkflowEnvironment, tmp_path: Path
) -> AsyncIterator[tuple[Stack, InMemorySpanExporter]]:
    """API and worker sharing a client with the production tracing interceptor."""
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    client = await own_client(temporal_env, interceptors=temporal_interceptors(provider))
    settings = api_settings(tmp_path)
    app = create_app(settings, temporal_client=client)
    instrument_api(app, provider)
    async with worker_and_api(client, settings, app, [trace_probe]) as stack:
        yield stack, exporter
    provider.shutdown()


def _ancestors(span: ReadableSpan, by_id: dict[int, ReadableSpan]) -> list[str]:
    names = []
    parent = span.parent
    while parent is not None and parent.span_id in by_id:
        names.append(by_id[parent.span_id].name)
        parent = by_id[parent.span_id].parent
    return names


async def test_a_decision_is_one_trace_from_the_request_to_the_activity(
    traced: tuple[Stack, InMemorySpanExporter],
) -> None:
    stack, exporter = traced
    process_id = unique("traced")
    await deploy(stack, _approve_then_book(process_id))
    boss = unique("boss")
    with json_log_lines() as logs:
        async with stack.http(unique("ida")) as ida, stack.http(boss) as manager:
            instance_id = await start(ida, process_id, variables={"manager": boss})
            task = await task_of(manager, instance_id)
            exporter.clear()  # only what the decision causes
            await decided(manager, instance_id, task["task_id"], "approve")
            await ended(ida, instance_id)

    spans = exporter.get_finished_spans()
    by_id = {s.context.span_id: s for s in spans}
    (request,) = [
        s
        for s in spans
        if s.kind == SpanKind.SERVER and s.name.startswith("POST ") and "decision" in s.name
    ]
    (update,) = [s for s in spans if s.name == "StartWorkflowUpdate:decide"]
    assert update.context.trace_id == request.context.trace_id
    assert request.name in _ancestors(update, by_id)
    # Temporal's interceptor keeps a workflow's spans in the workflow's own trace (the one its
    # start began) and links the update's handling to the request that sent it.
    (handled,) = [s for s in spans if s.name == "HandleUpdate:decide"]
    assert [link.context.span_id for link in handled.links] == [update.context.span_id]
    (run,) = [s for s in spans if s.name == "RunActivity:trace-probe"]
    # ... where the activity the decision led to runs, started by the workflow.
    assert run.context.trace_id == handled.context.trace_id
    assert _ancestors(run, by_id)[0] == "StartActivity:trace-probe"

    lines = [json.loads(line) for line in logs.getvalue().splitlines() if line.startswith("{")]
    (booked,) = [line for line in lines if line["message"].startswith("booked after")]
    assert booked["instance_id"] == instance_id
    assert booked["activity_type"] == "trace-probe"
    assert booked["process_id"] == process_id
    assert booked["trace_id"] == format(run.context.trace_id, "032x")
