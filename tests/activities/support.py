"""Processes with one or two service tasks, built as BPMN and compiled by the real compiler."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from xml.sax.saxutils import quoteattr

from temporalio.client import Client, WorkflowHandle
from temporalio.worker import Worker

from bpmn_compiler import compile_bpmn
from shenpi.settings import Settings
from shenpi_core.contracts import InstanceState, StartInput
from shenpi_core.process_plan import ProcessPlan
from worker import build_worker


def service_process(*tasks: tuple[str, dict[str, str]], retries: int = 3) -> ProcessPlan:
    """start → one service task per (type, config) in order → end."""
    process_id = f"svc_{uuid.uuid4().hex[:8]}"
    nodes, flows, previous = [], [], "start"
    for n, (task_type, config) in enumerate(tasks, start=1):
        headers = "".join(
            f"<shenpi:header key={quoteattr(k)} value={quoteattr(v)} />" for k, v in config.items()
        )
        nodes.append(
            f'<serviceTask id="call{n}" shenpi:type="{task_type}" shenpi:retries="{retries}">'
            f"<extensionElements>{headers}</extensionElements></serviceTask>"
        )
        flows.append(f'<sequenceFlow id="f{n}" sourceRef="{previous}" targetRef="call{n}" />')
        previous = f"call{n}"
    flows.append(f'<sequenceFlow id="last" sourceRef="{previous}" targetRef="end" />')
    xml = f"""<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL"
             xmlns:shenpi="http://shenpi.dev/schema/bpmn/1.0" id="d" targetNamespace="t">
  <process id="{process_id}" isExecutable="true">
    <startEvent id="start" />
    {"".join(nodes)}
    <endEvent id="end" />
    {"".join(flows)}
  </process>
</definitions>"""
    return compile_bpmn(xml.encode()).plan


async def start(
    client: Client, process: ProcessPlan, task_queue: str, variables: dict[str, Any] | None = None
) -> WorkflowHandle[Any, InstanceState]:
    return await client.start_workflow(
        process.process_id,
        StartInput(plan=process, version=1, variables=variables or {}, initiator="ida"),
        id=f"{process.process_id}-{uuid.uuid4().hex[:6]}",
        task_queue=task_queue,
        result_type=InstanceState,
    )


@asynccontextmanager
async def running_worker(client: Client, task_queue: str, **settings: Any) -> AsyncIterator[Worker]:
    config = Settings(_env_file=None, env="test", **settings)
    async with build_worker(client, task_queue=task_queue, settings=config) as worker:
        yield worker
