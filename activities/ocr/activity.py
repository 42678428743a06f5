"""The ``ocr`` activity: a document variable in, its fields and a reference to its text out.

Synchronous and CPU-bound: it runs in a process pool on its own task queue (``worker.py``,
``build_ocr_worker``), so no asyncio client is at hand; the blob store is used synchronously.
Each pool process opens its store and loads the OCR models once (``init_ocr_process``).
"""

from __future__ import annotations

from typing import Any

from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.heartbeat import heartbeating_thread
from activities.ocr.fields import KINDS, extract
from activities.ocr.reader import (
    UnreadableDocumentError,
    ocr_engine,
    read_document,
    set_engine_threads,
)
from shenpi.blobs import BlobNotFound, SyncBlobStore, document_id_of, open_sync_blob_store
from shenpi.settings import Settings, get_settings
from workflows.contracts import ACTIVITY_OCR, ServiceTaskInput

DOCUMENT_NOT_FOUND = "DocumentNotFound"
UNREADABLE_DOCUMENT = "UnreadableDocument"
INVALID_CONFIG = "InvalidOcrConfig"

_store: SyncBlobStore | None = None


def init_ocr_process(settings: Settings, threads: int = -1) -> None:
    """Pool initializer: open the blob store and load the OCR models before the first job."""
    global _store
    _store = open_sync_blob_store(settings)
    set_engine_threads(threads)
    ocr_engine()


def _blob_store() -> SyncBlobStore:
    global _store
    if _store is None:  # run outside a pool (a thread executor): the environment's settings
        _store = open_sync_blob_store(get_settings())
    return _store


def _failure(message: str, type: str) -> ApplicationError:
    # Retrying cannot make a missing or broken document readable: fail the task at once.
    return ApplicationError(message, type=type, non_retryable=True)


@activity.defn(name=ACTIVITY_OCR)
def ocr(input: ServiceTaskInput) -> dict[str, Any]:
    """Read ``variables[config["document"]]`` (default ``document``) as ``config["kind"]``."""
    variable = input.config.get("document", "document")
    kind = input.config.get("kind", "auto")
    if kind not in KINDS:
        raise _failure(f"kind {kind!r} is not one of {', '.join(KINDS)}", INVALID_CONFIG)
    document_id = document_id_of(input.variables.get(variable))
    if document_id is None:
        raise _failure(f"variable {variable!r} holds no document reference", DOCUMENT_NOT_FOUND)
    store = _blob_store()
    try:
        data = store.get(document_id)
    except BlobNotFound:
        raise _failure(f"no document {document_id} in the blob store", DOCUMENT_NOT_FOUND) from None
    try:
        # A page can take longer than the heartbeat timeout on a busy machine: beat from a thread.
        with heartbeating_thread() as beat:
            reading = read_document(data, on_page=beat.beat)
    except UnreadableDocumentError as err:
        raise _failure(f"{document_id}: {err}", UNREADABLE_DOCUMENT) from err
    extraction = extract(reading.lines, kind)
    text_ref = store.put(reading.text.encode(), content_type="text/plain", name="ocr.txt")
    fields = {name: f.value for name, f in extraction.fields.items()}
    summary: dict[str, Any] = {
        "kind": extraction.kind,
        "pages": reading.pages,
        "source": reading.source,
        "text_ref": text_ref.document_id,
        "fields": {
            name: {"value": f.value, "confidence": f.confidence}
            for name, f in extraction.fields.items()
        },
        "confidence": extraction.confidence,
        "flags": extraction.flags,
        "document_id": document_id,
    }
    return {**fields, "ocr": summary}
