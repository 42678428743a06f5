"""Who reads a document: its uploader, admins, and the readers of instances that refer to it.
Everyone else gets the very 404 of an id nobody uploaded (a known file's hash confirms nothing)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

import httpx
import pytest_asyncio
from temporalio.testing import WorkflowEnvironment

from api.document_access import referenced_documents
from tests.api import bpmn, flows
from tests.api.conftest import Stack, api_settings, running_stack, unique

PDF = b"%PDF-1.4\n%salary statement of alice\n"

TWO_STEPS = """<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL"
             xmlns:shenpi="http://shenpi.dev/schema/bpmn/1.0"
             xmlns:camunda="http://camunda.org/schema/1.0/bpmn" targetNamespace="t">
  <process id="{process_id}" isExecutable="true">
    <startEvent id="start"/>
    <sequenceFlow id="f1" sourceRef="start" targetRef="approve"/>
    <userTask id="approve" name="Manager approval" shenpi:assignee="${{manager}}">
      <extensionElements>
        <shenpi:variable name="invoice" type="object"/>
      </extensionElements>
    </userTask>
    <sequenceFlow id="f2" sourceRef="approve" targetRef="review"/>
    <userTask id="review" name="Finance review" shenpi:assignee="${{reviewer}}"/>
    <sequenceFlow id="f3" sourceRef="review" targetRef="end"/>
    <endEvent id="end"/>
  </process>
</definitions>
"""


@pytest_asyncio.fixture
async def stack(temporal_env: WorkflowEnvironment, tmp_path: Path) -> AsyncIterator[Stack]:
    async with running_stack(temporal_env, api_settings(tmp_path)) as s:
        yield s


async def _upload(http: httpx.AsyncClient, data: bytes, name: str) -> dict[str, Any]:
    response = await http.post(
        "/api/v1/documents",
        content=data,
        params={"name": name},
        headers={"Content-Type": "application/octet-stream"},
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def _read(stack: Stack, user: str, document_id: str, groups: Sequence[str] = ()) -> int:
    async with stack.http(user, groups) as http:
        response = await http.get(f"/api/v1/documents/{document_id}")
    return response.status_code


def _text(n: int) -> bytes:
    return f"receipt number {n} {unique('r')}\n".encode()


async def test_only_the_uploader_and_admins_read_a_document_others_get_the_unknown_404(
    stack: Stack,
) -> None:
    alice, mallory = unique("alice"), unique("mallory")
    async with stack.http(alice) as http:
        doc = await _upload(http, _text(1), "salary.txt")
    never_uploaded = "sha256:" + "ab" * 32

    async with stack.http(mallory) as http:
        refused = await http.get(f"/api/v1/documents/{doc['document_id']}")
        unknown = await http.get(f"/api/v1/documents/{never_uploaded}")

    assert await _read(stack, alice, doc["document_id"]) == 200
    assert await _read(stack, unique("ops"), doc["document_id"], ["admin"]) == 200
    assert refused.status_code == unknown.status_code == 404
    # Word for word the answer for an id nobody uploaded: nothing tells the two apart.
    assert refused.json()["error"] == {
        **unknown.json()["error"],
        "message": unknown.json()["error"]["message"].replace(never_uploaded, doc["document_id"]),
    }


async def test_the_approver_of_an_instance_that_refers_to_documents_reads_them_also_once_ended(
    stack: Stack,
) -> None:
    process_id, alice, bob, carol = unique("docs"), unique("alice"), unique("bob"), unique("c")
    await flows.deploy(stack, bpmn.single_approval(process_id))
    async with stack.http(alice) as http:
        receipt = await _upload(http, _text(2), "receipt.txt")
        attachment = await _upload(http, _text(3), "attachment.txt")
        variables = {
            "manager": bob,
            "receipt": receipt,  # the upload's answer as it is
            "more": {"attachments": [attachment["document_id"]]},  # or just ids, nested
        }
        instance_id = await flows.start(http, process_id, variables=variables)
    ids = [receipt["document_id"], attachment["document_id"]]

    assert [await _read(stack, carol, d) for d in ids] == [404, 404]
    async with stack.http(bob) as http:
        task = await flows.task_of(http, instance_id)
        assert [await _read(stack, bob, d) for d in ids] == [200, 200]
        await flows.decided(http, instance_id, task["task_id"], "approve")
        await flows.ended(http, instance_id)
    assert [await _read(stack, bob, d) for d in ids] == [200, 200]  # from the archive
    assert [await _read(stack, carol, d) for d in ids] == [404, 404]


async def test_a_document_added_by_a_decision_is_read_by_the_next_approver(stack: Stack) -> None:
    process_id, alice, bob, erin = unique("docs"), unique("alice"), unique("bob"), unique("erin")
    await flows.deploy(stack, TWO_STEPS.format(process_id=process_id).encode())
    async with stack.http(alice) as http:
        instance_id = await flows.start(
            http, process_id, variables={"manager": bob, "reviewer": erin}
        )
    async with stack.http(bob) as http:
        invoice = await _upload(http, _text(4), "invoice.txt")
        task = await flows.task_of(http, instance_id)
        await flows.decided(
            http, instance_id, task["task_id"], "approve", variables={"invoice": invoice}
        )
    async with stack.http(erin) as http:
        await flows.task_of(http, instance_id)

    assert await _read(stack, erin, invoice["document_id"]) == 200
    assert await _read(stack, alice, invoice["document_id"]) == 200  # the initiator reads it too
    assert await _read(stack, unique("mallory"), invoice["document_id"]) == 404


async def test_referring_to_a_document_one_cannot_read_grants_nothing(stack: Stack) -> None:
    process_id, alice, mallory = unique("docs"), unique("alice"), unique("mallory")
    await flows.deploy(stack, bpmn.single_approval(process_id))
    async with stack.http(alice) as http:
        doc = await _upload(http, PDF + unique("x").encode(), "salary.pdf")
    async with stack.http(mallory) as http:
        # A hash of a file she knows, put in her own request: she learns nothing by it.
        await flows.start(http, process_id, variables={"manager": mallory, "x": doc["document_id"]})

    assert await _read(stack, mallory, doc["document_id"]) == 404


async def test_uploading_known_bytes_shows_ones_own_name_never_the_first_uploaders(
    stack: Stack,
) -> None:
    alice, mallory = unique("alice"), unique("mallory")
    data = PDF + unique("y").encode()
    async with stack.http(alice) as http:
        await _upload(http, data, "alice-salary.pdf")
    async with stack.http(mallory) as http:
        mine = await _upload(http, data, "guess.pdf")
        down = await http.get(f"/api/v1/documents/{mine['document_id']}")

    assert (down.status_code, down.content) == (200, data)
    assert down.headers["content-disposition"] == "inline; filename*=UTF-8''guess.pdf"


def test_references_are_found_at_any_depth_without_recursion() -> None:
    doc = "sha256:" + "0f" * 32
    deep: object = {"receipt": {"document_id": doc}}
    for _ in range(5000):  # far deeper than Python's recursion limit
        deep = [deep]
    variables = {"a": deep, "b": "sha256:short", "c": "SHA256:" + "0F" * 32, "d": 7}

    assert referenced_documents(variables) == {doc}
