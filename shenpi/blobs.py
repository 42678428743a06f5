"""The blob store: documents by content, so variables and history hold references, never bytes.

A document's id is ``"sha256:<hex>"`` of its bytes: storing the same bytes twice keeps one blob.
Two backends behind one interface: a local folder (default, ``<data_dir>/blobs``) and any
S3-compatible service (``blob_store="s3"``: MinIO in compose). Both are synchronous underneath
(file system, boto3); :class:`BlobStore` runs them in a thread for async callers, and
:meth:`ThreadedBlobStore.sync` hands the synchronous store to code that has no event loop (the
OCR activity in its process pool).
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import re
import tempfile
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import quote, unquote

from pydantic import BaseModel

from shenpi.extras import missing
from shenpi.settings import Settings

ID_PREFIX = "sha256:"
_ID = re.compile(r"sha256:([0-9a-f]{64})")


class BlobRef(BaseModel):
    """What a variable holds for a document (its JSON), or just ``document_id``."""

    document_id: str  # "sha256:<hex>"
    sha256: str  # "<hex>"
    size: int
    content_type: str
    name: str | None = None


class BlobNotFound(LookupError):
    """No blob has this id (or the id is not a well-formed one: nothing can be stored under it)."""


def parse_document_id(document_id: str) -> str:
    """The hex digest of a well-formed id; :class:`BlobNotFound` for anything else.

    Every store maps ids to paths or keys through this, so a crafted id (``../``, a bare path,
    upper case) can never name anything outside the store.
    """
    found = _ID.fullmatch(document_id) if isinstance(document_id, str) else None
    if found is None:
        raise BlobNotFound(f"not a document id: {str(document_id)[:80]!r}")
    return found.group(1)


def document_id_of(value: Any) -> str | None:
    """The document id a variable value refers to: a ``BlobRef`` (dict or model) or an id string."""
    if isinstance(value, BlobRef):
        return value.document_id
    if isinstance(value, dict):
        value = value.get("document_id")
    return value if isinstance(value, str) and _ID.fullmatch(value) else None


class SyncBlobStore(Protocol):
    def put(self, data: bytes, *, content_type: str, name: str | None = None) -> BlobRef: ...
    def get(self, document_id: str) -> bytes: ...
    def head(self, document_id: str) -> BlobRef: ...
    def exists(self, document_id: str) -> bool: ...
    def close(self) -> None: ...


class BlobStore(Protocol):
    async def put(self, data: bytes, *, content_type: str, name: str | None = None) -> BlobRef: ...
    async def get(self, document_id: str) -> bytes: ...
    async def head(self, document_id: str) -> BlobRef: ...
    async def exists(self, document_id: str) -> bool: ...
    async def aclose(self) -> None: ...
    def sync(self) -> SyncBlobStore: ...


def _ref(data: bytes, content_type: str, name: str | None) -> BlobRef:
    digest = hashlib.sha256(data).hexdigest()
    return BlobRef(
        document_id=ID_PREFIX + digest,
        sha256=digest,
        size=len(data),
        content_type=content_type,
        name=name,
    )


class LocalBlobStore:
    """Blobs as files ``<root>/<hex[:2]>/<hex>``, their metadata beside them (``<hex>.json``)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, document_id: str) -> Path:
        digest = parse_document_id(document_id)
        return self.root / digest[:2] / digest

    def put(self, data: bytes, *, content_type: str, name: str | None = None) -> BlobRef:
        ref = _ref(data, content_type, name)
        path = self._path(ref.document_id)
        if path.exists():
            return ref  # same bytes, same blob; the first upload's metadata stays
        path.parent.mkdir(parents=True, exist_ok=True)
        # Metadata first, bytes last: a blob whose bytes exist is complete.
        _write_atomically(path.with_suffix(".json"), ref.model_dump_json().encode())
        _write_atomically(path, data)
        return ref

    def get(self, document_id: str) -> bytes:
        try:
            return self._path(document_id).read_bytes()
        except FileNotFoundError:
            raise BlobNotFound(document_id) from None

    def head(self, document_id: str) -> BlobRef:
        path = self._path(document_id)
        if not path.exists():
            raise BlobNotFound(document_id)
        return BlobRef.model_validate_json(path.with_suffix(".json").read_bytes())

    def exists(self, document_id: str) -> bool:
        try:
            return self._path(document_id).exists()
        except BlobNotFound:
            return False

    def close(self) -> None:
        pass


def _write_atomically(path: Path, data: bytes) -> None:
    """Readers see the whole file or none: write a temp file beside it, then rename over."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class S3BlobStore:
    """Objects ``sha256/<hex>`` in one bucket (created if missing) of an S3-compatible service."""

    def __init__(self, settings: Settings) -> None:
        try:  # imported here: only S3 deployments pay for it (the s3 extra)
            import boto3
            from botocore.config import Config
        except ImportError as err:
            raise missing("s3", "SHENPI_BLOB_STORE=s3", err) from err

        self.bucket = settings.s3_bucket
        self._client = boto3.client(
            "s3",
            endpoint_url=settings.s3_endpoint_url,
            aws_access_key_id=settings.s3_access_key,
            aws_secret_access_key=settings.s3_secret_key,
            region_name=settings.s3_region,
            # Callers own retries (Temporal for activities, the client for uploads).
            config=Config(retries={"max_attempts": 1}, s3={"addressing_style": "path"}),
        )
        self._bucket_ready = False

    def _ensure_bucket(self) -> None:
        # On the first write, not at startup: the API and workers start while MinIO may be down.
        from botocore.exceptions import ClientError

        if self._bucket_ready:
            return
        try:
            self._client.head_bucket(Bucket=self.bucket)
        except ClientError:
            region = self._client.meta.region_name
            if region and region != "us-east-1":  # S3 refuses the default region named explicitly
                self._client.create_bucket(
                    Bucket=self.bucket,
                    CreateBucketConfiguration={"LocationConstraint": region},
                )
            else:
                self._client.create_bucket(Bucket=self.bucket)
        self._bucket_ready = True

    @staticmethod
    def _key(document_id: str) -> str:
        return "sha256/" + parse_document_id(document_id)

    def put(self, data: bytes, *, content_type: str, name: str | None = None) -> BlobRef:
        ref = _ref(data, content_type, name)
        self._ensure_bucket()
        if self.exists(ref.document_id):
            return ref
        # S3 metadata is ASCII only: the (often Chinese) file name travels percent-encoded.
        metadata = {"name": quote(name)} if name is not None else {}
        self._client.put_object(
            Bucket=self.bucket,
            Key=self._key(ref.document_id),
            Body=data,
            ContentType=content_type,
            Metadata=metadata,
        )
        return ref

    def get(self, document_id: str) -> bytes:
        from botocore.exceptions import ClientError

        try:
            reply = self._client.get_object(Bucket=self.bucket, Key=self._key(document_id))
        except ClientError as err:
            if _missing(err):
                raise BlobNotFound(document_id) from None
            raise
        body: bytes = reply["Body"].read()
        return body

    def head(self, document_id: str) -> BlobRef:
        from botocore.exceptions import ClientError

        try:
            reply = self._client.head_object(Bucket=self.bucket, Key=self._key(document_id))
        except ClientError as err:
            if _missing(err):
                raise BlobNotFound(document_id) from None
            raise
        name = reply.get("Metadata", {}).get("name")
        digest = parse_document_id(document_id)
        return BlobRef(
            document_id=document_id,
            sha256=digest,
            size=int(reply["ContentLength"]),
            content_type=str(reply.get("ContentType", "application/octet-stream")),
            name=unquote(name) if name is not None else None,
        )

    def exists(self, document_id: str) -> bool:
        try:
            self.head(document_id)
        except BlobNotFound:
            return False
        return True

    def close(self) -> None:
        self._client.close()


def _missing(err: Any) -> bool:
    code = str(err.response.get("Error", {}).get("Code", ""))
    return code in ("404", "NoSuchKey", "NotFound", "NoSuchBucket")


class ThreadedBlobStore:
    """The async :class:`BlobStore` over a synchronous store: each call runs in a thread."""

    def __init__(self, store: SyncBlobStore) -> None:
        self._store = store

    async def put(self, data: bytes, *, content_type: str, name: str | None = None) -> BlobRef:
        return await asyncio.to_thread(self._store.put, data, content_type=content_type, name=name)

    async def get(self, document_id: str) -> bytes:
        return await asyncio.to_thread(self._store.get, document_id)

    async def head(self, document_id: str) -> BlobRef:
        return await asyncio.to_thread(self._store.head, document_id)

    async def exists(self, document_id: str) -> bool:
        return await asyncio.to_thread(self._store.exists, document_id)

    async def aclose(self) -> None:
        await asyncio.to_thread(self._store.close)

    def sync(self) -> SyncBlobStore:
        return self._store


def open_sync_blob_store(settings: Settings) -> SyncBlobStore:
    """The configured store, synchronous (for processes and threads without an event loop)."""
    if settings.blob_store == "s3":
        return S3BlobStore(settings)
    return LocalBlobStore(settings.resolved_blob_dir)


def open_blob_store(settings: Settings) -> BlobStore:
    """The configured store: a local folder under ``resolved_blob_dir``, or S3 (``blob_store``)."""
    return ThreadedBlobStore(open_sync_blob_store(settings))


# Content types a document may have, recognised by their first bytes (never by the client's say).
_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"II*\x00", "image/tiff"),
    (b"MM\x00*", "image/tiff"),
)
_BMP_DIB_SIZES = (12, 40, 52, 56, 108, 124)  # the header sizes real BMP files carry


def sniff_content_type(data: bytes) -> str | None:
    """What the bytes are (pdf, png, jpeg, webp, bmp, tiff, ofd, UTF-8 text), or None: not a
    document."""
    for magic, content_type in _MAGIC:
        if data.startswith(magic):
            return content_type
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if data[:4] == b"PK\x03\x04" and (b"OFD.xml" in data[:65536] or b"OFD.xml" in data[-65536:]):
        return "application/ofd"  # an OFD package (GB/T 33190): digital invoices come as these
    if (
        data[:2] == b"BM"
        and len(data) >= 18
        and int.from_bytes(data[14:18], "little") in (_BMP_DIB_SIZES)
    ):
        return "image/bmp"
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    printable = all(ch.isprintable() or ch in "\t\n\r\f" for ch in text)
    return "text/plain" if printable else None
