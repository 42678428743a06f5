"""Documents: upload into the blob store, download by reference (docs/documents.md).

Variables hold the returned reference (or its ``document_id``); the bytes stay in the blob store.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel
from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartParser

from api.deps import SettingsDep
from api.document_access import DocumentAccessDep
from api.errors import ApiError
from api.schemas import ErrorBody
from api.uploads import read_bounded_body
from shenpi.blobs import BlobNotFound, BlobRef, BlobStore, open_blob_store, sniff_content_type

router = APIRouter(prefix="/documents", tags=["documents"])

# Multipart framing (boundaries, part headers) around the file: allowed beyond the document limit.
MULTIPART_OVERHEAD_BYTES = 64 * 1024

_UPLOAD_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {"file": {"type": "string", "format": "binary"}},
                    "required": ["file"],
                }
            },
            "application/octet-stream": {"schema": {"type": "string", "format": "binary"}},
        },
    }
}


class DocumentPublic(BaseModel):
    """A stored document: put it (or just ``document_id``) into a request's variables."""

    document_id: str
    sha256: str
    size: int
    content_type: str
    name: str | None = None


def get_blob_store(request: Request) -> BlobStore:
    # Opened on first use: an API that never sees a document never needs its store (or S3).
    store: BlobStore | None = getattr(request.app.state, "blob_store", None)
    if store is None:
        store = open_blob_store(request.app.state.settings)
        request.app.state.blob_store = store
    return store


def _too_large(limit: int) -> ApiError:
    return ApiError(
        413, "too_large", f"the document exceeds {limit} bytes", details={"limit_bytes": limit}
    )


async def _bounded_stream(request: Request, limit: int) -> AsyncGenerator[bytes, None]:
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _too_large(limit - MULTIPART_OVERHEAD_BYTES)
        yield chunk


async def _read_multipart(request: Request, limit: int) -> tuple[bytes, str | None]:
    """The ``file`` part's bytes and file name; the body is cut off as soon as it is too large."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit + MULTIPART_OVERHEAD_BYTES:
        raise _too_large(limit)
    parser = MultiPartParser(
        request.headers,
        _bounded_stream(request, limit + MULTIPART_OVERHEAD_BYTES),
        max_files=1,
        max_fields=16,
    )
    form = await parser.parse()
    try:
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise ApiError(400, "invalid_request", "the multipart body has no 'file' part")
        data = await upload.read()
        return data, upload.filename
    finally:
        await form.close()


def _not_found(document_id: str) -> ApiError:
    # One answer for an id nobody uploaded and for one the caller may not read: a 403 would
    # confirm that a file whose hash the caller computed was uploaded.
    return ApiError(404, "not_found", f"no document {document_id}")


async def _load(store: BlobStore, document_id: str) -> tuple[BlobRef, bytes]:
    try:
        return await store.head(document_id), await store.get(document_id)
    except BlobNotFound:
        raise _not_found(document_id) from None


@router.post(
    "",
    status_code=201,
    response_model=DocumentPublic,
    openapi_extra=_UPLOAD_BODY,
    responses={415: {"model": ErrorBody, "description": "Not an image, PDF or plain text"}},
)
async def upload_document(
    request: Request,
    settings: SettingsDep,
    access: DocumentAccessDep,
    name: Annotated[str | None, Query(max_length=255)] = None,
) -> DocumentPublic:
    """Store a document: multipart ``file``, or the raw body and ``?name=``. Same bytes, same id."""
    limit = settings.max_document_bytes
    if request.headers.get("content-type", "").startswith("multipart/form-data"):
        data, filename = await _read_multipart(request, limit)
        name = name or filename
    else:
        data = await read_bounded_body(request, limit)
    if len(data) > limit:
        raise _too_large(limit)
    content_type = sniff_content_type(data)
    if content_type is None or not data:
        raise ApiError(
            415,
            "unsupported_media_type",
            "a document must be an image (png, jpeg, webp, bmp, tiff), a PDF or UTF-8 text",
        )
    ref = await get_blob_store(request).put(data, content_type=content_type, name=name)
    await access.record_upload(ref.document_id, name)
    return DocumentPublic.model_validate(ref.model_dump())


@router.get(
    "/{document_id}",
    response_class=Response,
    responses={200: {"content": {"application/octet-stream": {}}, "description": "The bytes"}},
)
async def download_document(
    request: Request,
    access: DocumentAccessDep,
    document_id: str,
) -> Response:
    """The document's bytes, for its uploaders, admins and the readers of instances that refer
    to it; 404 for anyone else and for any other id."""
    readable = await access.readable(document_id)
    if readable is None:
        raise _not_found(document_id)
    ref, data = await _load(get_blob_store(request), document_id)
    # The store keeps the first uploader's name: another uploader of the same bytes sees theirs.
    name = readable.own_name if readable.uploaded else ref.name
    headers = {"ETag": f'"{ref.sha256}"', "Cache-Control": "private, max-age=31536000, immutable"}
    if name:
        headers["Content-Disposition"] = f"inline; filename*=UTF-8''{quote(name)}"
    return Response(data, media_type=ref.content_type, headers=headers)
