"""A receipt uploaded over HTTP is read by the process's ``ocr`` task, and its total routes it.

The whole path for real: upload (API) → blob store → instance variable holding the reference →
the interpreter sends ``ocr`` to ``<queue>-ocr`` → the process-pool worker → variables → gateway.
"""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from temporalio.testing import WorkflowEnvironment

from tests.api.bpmn import HEAD
from tests.api.conftest import Stack, api_settings, running_stack, unique
from tests.api.flows import deploy, ended, start, state, task_of
from tests.ocr.documents import FONT, make_receipt, render
from worker import build_ocr_worker


def receipt_process(process_id: str, limit: int) -> bytes:
    """start → OCR of ``receipt`` → totals under ``limit`` end approved, others go to a manager."""
    body = f"""<process id="{process_id}" name="Receipt" isExecutable="true">
  <startEvent id="start"/>
  <sequenceFlow id="f1" sourceRef="start" targetRef="read"/>
  <serviceTask id="read" name="Read the receipt" shenpi:type="ocr">
    <extensionElements>
      <shenpi:header key="document" value="receipt"/>
      <shenpi:header key="kind" value="receipt"/>
    </extensionElements>
  </serviceTask>
  <sequenceFlow id="f2" sourceRef="read" targetRef="gw"/>
  <exclusiveGateway id="gw" default="large"/>
  <sequenceFlow id="small" sourceRef="gw" targetRef="end">
    <conditionExpression>${{total &lt; {limit}}}</conditionExpression>
  </sequenceFlow>
  <sequenceFlow id="large" sourceRef="gw" targetRef="approve"/>
  <userTask id="approve" name="Manager approval" shenpi:assignee="bob"/>
  <sequenceFlow id="f3" sourceRef="approve" targetRef="end"/>
  <endEvent id="end"/>
</process>
</definitions>
"""
    return (HEAD + body).encode()


@pytest_asyncio.fixture
async def ocr_stack(temporal_env: WorkflowEnvironment, tmp_path: Path) -> AsyncIterator[Stack]:
    if not FONT.exists():
        pytest.skip(f"the CJK font {FONT} is missing (make cjk-font installs it)")
    settings = api_settings(tmp_path, ocr_processes=1)
    ocr_worker = build_ocr_worker(
        temporal_env.client, task_queue=settings.task_queue, settings=settings
    )
    async with ocr_worker, running_stack(temporal_env, settings) as stack:
        yield stack


async def test_an_uploaded_receipt_is_read_and_its_total_picks_the_path(ocr_stack: Stack) -> None:
    doc = make_receipt(random.Random(21))
    total = doc.truth["total"]
    process_id = unique("receipt")
    await deploy(ocr_stack, receipt_process(process_id, limit=int(total) + 1))
    png = render(doc, "clean_png", random.Random(0))
    async with ocr_stack.http("alice") as http:
        upload = await http.post("/api/v1/documents", files={"file": ("小票.png", png)})
        assert upload.status_code == 201, upload.text
        ref = upload.json()
        instance_id = await start(http, process_id, variables={"receipt": ref})
        body = await ended(http, instance_id)
    assert body["outcome"] == "approved"
    variables = body["variables"]
    assert {k: variables[k] for k in doc.truth} == doc.truth
    assert variables["ocr"]["document_id"] == ref["document_id"]
    assert variables["ocr"]["source"] == "ocr"
    # History holds the reference and the text's hash, never the bytes: all of it is smaller
    # than the image alone.
    history = await ocr_stack.temporal.get_workflow_handle(instance_id).fetch_history()
    assert len(history.to_json()) < len(png)


async def test_a_receipt_over_the_limit_goes_to_a_person(ocr_stack: Stack) -> None:
    doc = make_receipt(random.Random(22))
    process_id = unique("receipt")
    await deploy(ocr_stack, receipt_process(process_id, limit=1))
    async with ocr_stack.http("alice") as http:
        upload = await http.post(
            "/api/v1/documents", content=render(doc, "text_pdf", random.Random(0))
        )
        instance_id = await start(
            http, process_id, variables={"receipt": upload.json()["document_id"]}
        )
    async with ocr_stack.http("bob") as bob:
        task = await task_of(bob, instance_id, node_id="approve")
        assert task["name"] == "Manager approval"
        read = await state(bob, instance_id)
    assert read["variables"]["total"] == doc.truth["total"]
