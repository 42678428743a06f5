"""Deploying BPMN over HTTP: versions, hashes, the stored XML, and refusing bad files."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import httpx
import pytest

from tests.api import bpmn
from tests.api.conftest import Stack, unique

DEFINITIONS = "/api/v1/definitions"


async def test_deploy_versions_count_up_and_same_content_keeps_its_version(api_only: Stack) -> None:
    process_id = unique("expense")
    v1_xml = bpmn.single_approval(process_id, name="Expense")
    async with api_only.http("ops", ["admin"]) as http:
        first = await http.post(DEFINITIONS, content=v1_xml)
        again = await http.post(DEFINITIONS, content=v1_xml)
        changed = await http.post(DEFINITIONS, content=bpmn.single_approval(process_id, name="V2"))
        listed = (await http.get(DEFINITIONS)).json()
        versions = (await http.get(f"{DEFINITIONS}/{process_id}")).json()
        stored = await http.get(f"{DEFINITIONS}/{process_id}/versions/1/bpmn")
        missing = await http.get(f"{DEFINITIONS}/{process_id}/versions/3/bpmn")

    assert first.status_code == 201
    body = first.json()
    assert (body["process_id"], body["version"], body["warnings"]) == (process_id, 1, [])
    assert len(body["hash"]) == 64
    assert again.status_code == 200 and again.json() == body
    assert changed.status_code == 201
    assert changed.json()["version"] == 2 and changed.json()["hash"] != body["hash"]

    mine = [d for d in listed["data"] if d["process_id"] == process_id]
    assert [(d["version"], d["name"], d["deployed_by"]) for d in mine] == [(2, "V2", "ops")]
    assert [d["version"] for d in versions["data"]] == [2, 1] and versions["count"] == 2
    assert stored.status_code == 200
    assert stored.headers["content-type"].startswith("application/xml")
    assert stored.content == v1_xml
    assert missing.status_code == 404


async def test_deploying_needs_the_admin_group(api_only: Stack) -> None:
    async with api_only.http("alice", ["finance"]) as http:
        response = await http.post(DEFINITIONS, content=bpmn.single_approval(unique("p")))
        versions = await http.get(f"{DEFINITIONS}/{unique('never_deployed')}")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden"
    assert versions.status_code == 404


def _malformed(process_id: str) -> bytes:
    return b"<definitions><process id='" + process_id.encode() + b"'>"


def _not_bpmn(_: str) -> bytes:
    return b"just text"


def _empty(_: str) -> bytes:
    return b""


# Each bad file and the diagnostic code that must be among the reasons given for refusing it.
BAD_FILES: dict[str, tuple[Callable[[str], bytes], str]] = {
    "malformed": (_malformed, "xml-syntax"),
    "xxe": (bpmn.xxe, "xml-forbidden"),
    "billion_laughs": (bpmn.billion_laughs, "xml-forbidden"),
    "no_start": (bpmn.no_start, "no-start"),
    "cycle_without_exit": (bpmn.cycle_without_exit, "no-exit-cycle"),
    "bad_condition": (bpmn.bad_condition, "condition-syntax"),
    "not_bpmn": (_not_bpmn, "xml-syntax"),
    "empty": (_empty, "xml-syntax"),
}


@pytest.mark.parametrize("kind", sorted(BAD_FILES))
async def test_bad_bpmn_is_422_with_diagnostics_and_the_server_keeps_serving(
    api_only: Stack, kind: str
) -> None:
    make, expected_code = BAD_FILES[kind]
    xml = make(unique(kind))
    async with api_only.http("ops", ["admin"]) as http:
        response = await http.post(DEFINITIONS, content=xml)
        assert (await http.get("/healthz")).status_code == 200
        good = await http.post(DEFINITIONS, content=bpmn.single_approval(unique("after")))
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "compile_error"
    assert error["details"], "a refusal names at least one problem"
    for diagnostic in error["details"]:
        assert diagnostic["code"] and diagnostic["message"]
    assert expected_code in [d["code"] for d in error["details"]]
    assert good.status_code == 201


async def test_unparsable_condition_names_the_flow_it_is_on(api_only: Stack) -> None:
    async with api_only.http("ops", ["admin"]) as http:
        response = await http.post(DEFINITIONS, content=bpmn.bad_condition(unique("cond")))
    assert response.status_code == 422
    assert "f2" in [d["element_id"] for d in response.json()["error"]["details"]]


async def test_twenty_megabyte_upload_is_413_without_being_read(api_only: Stack) -> None:
    big = b"<!-- " + b"x" * (20 * 1024 * 1024) + b" -->"
    async with api_only.http("ops", ["admin"]) as http:
        response = await http.post(DEFINITIONS, content=big)
        assert (await http.get("/healthz")).status_code == 200
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "too_large"


async def test_declared_oversize_upload_is_refused_before_the_body_is_sent(api_only: Stack) -> None:
    # As curl does for large files: headers with Expect: 100-continue, body only if invited.
    reader, writer = await _connect(api_only)
    writer.write(
        _head(api_only, {"Content-Length": str(20 * 1024 * 1024), "Expect": "100-continue"})
    )
    status_line = await asyncio.wait_for(reader.readline(), timeout=10)
    writer.close()
    assert status_line.split()[1] == b"413"


async def test_chunked_upload_is_cut_off_once_it_passes_the_limit(api_only: Stack) -> None:
    total = 40 * 1024 * 1024  # far more than the limit plus every socket buffer in between
    chunk = b"y" * 65536
    sent = 0
    reader, writer = await _connect(api_only)
    writer.write(_head(api_only, {"Transfer-Encoding": "chunked"}))

    async def send_everything() -> None:
        nonlocal sent
        while sent < total:
            writer.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            await writer.drain()
            sent += len(chunk)

    sender = asyncio.create_task(send_everything())
    answer = asyncio.create_task(reader.readline())
    await asyncio.wait({sender, answer}, timeout=30, return_when=asyncio.FIRST_COMPLETED)
    sender.cancel()
    writer.close()
    # The server answered 413 (or hung up: a reset can overtake the answer) long before it
    # could have read everything we tried to send.
    status_line = answer.result() if answer.done() and not answer.exception() else b""
    assert status_line == b"" or status_line.split()[1] == b"413"
    assert sent < total
    async with api_only.http() as http:
        assert (await http.get("/healthz")).status_code == 200


async def _connect(stack: Stack) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    url = httpx.URL(stack.base_url)
    assert url.host and url.port
    return await asyncio.open_connection(url.host, url.port)


def _head(stack: Stack, headers: dict[str, str]) -> bytes:
    lines = [
        f"POST {DEFINITIONS} HTTP/1.1",
        f"Host: {httpx.URL(stack.base_url).netloc.decode()}",
        f"Authorization: Bearer {stack.token('ops', ['admin'])}",
        "Content-Type: application/xml",
        *(f"{k}: {v}" for k, v in headers.items()),
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()
