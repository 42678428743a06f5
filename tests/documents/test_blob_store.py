"""The blob-store contract, run against both stores: a local folder and S3 (a real local server)."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from shenpi.blobs import (
    BlobNotFound,
    BlobRef,
    BlobStore,
    LocalBlobStore,
    document_id_of,
    open_blob_store,
)
from shenpi.settings import Settings
from tests.documents.conftest import s3_settings

PDF = b"%PDF-1.7\n" + bytes(range(256)) * 4


@pytest_asyncio.fixture(params=["local", "s3"])
async def store(
    request: pytest.FixtureRequest, tmp_path: Path, s3_endpoint: str
) -> AsyncIterator[BlobStore]:
    if request.param == "local":
        settings = Settings(data_dir=tmp_path)
    else:
        settings = s3_settings(s3_endpoint, tmp_path, f"bucket-{uuid.uuid4().hex[:12]}")
    blobs = open_blob_store(settings)
    try:
        yield blobs
    finally:
        await blobs.aclose()


async def test_put_returns_a_content_address_and_get_returns_the_bytes(store: BlobStore) -> None:
    ref = await store.put(PDF, content_type="application/pdf", name="发票.pdf")
    digest = hashlib.sha256(PDF).hexdigest()
    assert ref == BlobRef(
        document_id=f"sha256:{digest}",
        sha256=digest,
        size=len(PDF),
        content_type="application/pdf",
        name="发票.pdf",
    )
    assert await store.get(ref.document_id) == PDF
    assert await store.exists(ref.document_id)


async def test_head_returns_the_stored_metadata_with_a_unicode_name(store: BlobStore) -> None:
    ref = await store.put(PDF, content_type="application/pdf", name="发票 2026.pdf")
    assert await store.head(ref.document_id) == ref


async def test_same_bytes_stored_twice_are_one_blob(store: BlobStore) -> None:
    first = await store.put(b"hello", content_type="text/plain", name="a.txt")
    second = await store.put(b"hello", content_type="text/plain", name="b.txt")
    assert first.document_id == second.document_id
    assert await store.get(second.document_id) == b"hello"


async def test_missing_blob_raises_blob_not_found(store: BlobStore) -> None:
    absent = "sha256:" + "0" * 64
    assert not await store.exists(absent)
    with pytest.raises(BlobNotFound):
        await store.get(absent)
    with pytest.raises(BlobNotFound):
        await store.head(absent)


@pytest.mark.parametrize(
    "crafted",
    ["sha256:../../etc/passwd", "../secret", "sha256:" + "A" * 64, "sha256:" + "0" * 63, ""],
)
async def test_malformed_ids_are_not_found_and_never_read_a_path(
    store: BlobStore, crafted: str
) -> None:
    assert not await store.exists(crafted)
    with pytest.raises(BlobNotFound):
        await store.get(crafted)


async def test_the_sync_store_reads_what_the_async_store_wrote(store: BlobStore) -> None:
    ref = await store.put(b"text layer", content_type="text/plain")
    sync = store.sync()
    assert sync.get(ref.document_id) == b"text layer"
    again = sync.put(b"more text", content_type="text/plain")
    assert await store.get(again.document_id) == b"more text"


def test_local_store_writes_no_temp_files_and_shards_by_digest(tmp_path: Path) -> None:
    local = LocalBlobStore(tmp_path)
    ref = local.put(b"x" * 1000, content_type="text/plain")
    files = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file())
    assert files == [f"{ref.sha256[:2]}/{ref.sha256}", f"{ref.sha256[:2]}/{ref.sha256}.json"]


def test_document_id_of_accepts_a_ref_a_dict_or_an_id() -> None:
    doc = "sha256:" + "a" * 64
    assert document_id_of(doc) == doc
    assert document_id_of({"document_id": doc, "size": 1}) == doc
    assert document_id_of({"document_id": "../x"}) is None
    assert document_id_of(42) is None
