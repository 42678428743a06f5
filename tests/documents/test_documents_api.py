"""POST/GET /api/v1/documents over real HTTP: sniffed types, limits, ids that cannot escape."""

from __future__ import annotations

import hashlib
import io
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from PIL import Image
from temporalio.testing import WorkflowEnvironment

from tests.api.conftest import Stack, api_settings, running_stack

LIMIT = 200_000


def png_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 20), "white").save(out, format="PNG")
    return out.getvalue()


@pytest_asyncio.fixture
async def docs_api(temporal_env: WorkflowEnvironment, tmp_path: Path) -> AsyncIterator[Stack]:
    settings = api_settings(tmp_path, max_document_bytes=LIMIT)
    async with running_stack(temporal_env, settings, worker=False) as stack:
        yield stack


async def test_multipart_upload_returns_201_with_the_sniffed_type_and_name(
    docs_api: Stack,
) -> None:
    png = png_bytes()
    async with docs_api.http("alice") as http:
        # The client calls it a PDF: the bytes say PNG, and the bytes win.
        reply = await http.post(
            "/api/v1/documents", files={"file": ("收据.png", png, "application/pdf")}
        )
    assert reply.status_code == 201, reply.text
    digest = hashlib.sha256(png).hexdigest()
    assert reply.json() == {
        "document_id": f"sha256:{digest}",
        "sha256": digest,
        "size": len(png),
        "content_type": "image/png",
        "name": "收据.png",
    }


async def test_raw_upload_then_download_returns_the_same_bytes(docs_api: Stack) -> None:
    pdf = b"%PDF-1.4\n%fake but well-typed\n"
    async with docs_api.http("alice") as http:
        up = await http.post(
            "/api/v1/documents",
            content=pdf,
            params={"name": "invoice.pdf"},
            headers={"Content-Type": "application/octet-stream"},
        )
        assert up.status_code == 201, up.text
        down = await http.get(f"/api/v1/documents/{up.json()['document_id']}")
    assert down.status_code == 200
    assert down.content == pdf
    assert down.headers["content-type"] == "application/pdf"
    assert down.headers["content-disposition"] == "inline; filename*=UTF-8''invoice.pdf"


async def test_uploading_the_same_bytes_twice_gives_the_same_id(docs_api: Stack) -> None:
    async with docs_api.http("alice") as http:
        first = await http.post("/api/v1/documents", content="发票 text".encode())
        second = await http.post("/api/v1/documents", content="发票 text".encode())
    assert first.status_code == second.status_code == 201
    assert first.json()["document_id"] == second.json()["document_id"]
    assert first.json()["content_type"] == "text/plain"


async def test_an_executable_is_refused_with_415(docs_api: Stack) -> None:
    async with docs_api.http("alice") as http:
        reply = await http.post(
            "/api/v1/documents",
            files={"file": ("x.png", b"MZ\x90\x00\x03\x00\xff\xfe", "image/png")},
        )
    assert reply.status_code == 415
    assert reply.json()["error"]["code"] == "unsupported_media_type"


@pytest.mark.parametrize("multipart", [True, False])
async def test_a_document_over_the_limit_is_refused_with_413(
    docs_api: Stack, multipart: bool
) -> None:
    big = b"%PDF-" + b"0" * (LIMIT + 10)
    async with docs_api.http("alice") as http:
        if multipart:
            reply = await http.post("/api/v1/documents", files={"file": ("a.pdf", big)})
        else:
            reply = await http.post("/api/v1/documents", content=big)
    assert reply.status_code == 413
    assert reply.json()["error"]["code"] == "too_large"


async def test_a_chunked_body_without_a_length_over_the_limit_is_refused_with_413(
    docs_api: Stack,
) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(10):
            yield b"%PDF-" + b"0" * 64_000

    async with docs_api.http("alice") as http:
        reply = await http.post("/api/v1/documents", content=chunks())
    assert reply.status_code == 413


async def test_a_chunked_multipart_body_over_the_limit_is_cut_off_with_413(
    docs_api: Stack,
) -> None:
    async def parts() -> AsyncIterator[bytes]:
        yield (
            b"--b0undary\r\n"
            b'Content-Disposition: form-data; name="file"; filename="big.pdf"\r\n'
            b"Content-Type: application/pdf\r\n\r\n%PDF-"
        )
        for _ in range(10):
            yield b"0" * 64_000
        yield b"\r\n--b0undary--\r\n"

    async with docs_api.http("alice") as http:
        reply = await http.post(
            "/api/v1/documents",
            content=parts(),
            headers={"Content-Type": "multipart/form-data; boundary=b0undary"},
        )
    assert reply.status_code == 413
    assert reply.json()["error"]["code"] == "too_large"


async def test_unknown_and_malformed_ids_are_404_never_a_path(docs_api: Stack) -> None:
    (docs_api.settings.data_dir / "secret.txt").parent.mkdir(parents=True, exist_ok=True)
    (docs_api.settings.data_dir / "secret.txt").write_text("secret")
    async with docs_api.http("alice") as http:
        absent = await http.get("/api/v1/documents/sha256:" + "0" * 64)
        traversal = await http.get("/api/v1/documents/..%2F..%2Fsecret.txt")
        upper = await http.get("/api/v1/documents/sha256:" + "A" * 64)
    assert absent.status_code == traversal.status_code == upper.status_code == 404
    assert b"secret" not in traversal.content


async def test_documents_need_a_token(docs_api: Stack) -> None:
    async with docs_api.http() as http:
        up = await http.post("/api/v1/documents", content=b"text")
        down = await http.get("/api/v1/documents/sha256:" + "0" * 64)
    assert up.status_code == down.status_code == 401
