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
from activities.ocr.digital import read_digital
from activities.ocr.fields import KINDS, Extraction, extract
from activities.ocr.reader import (
    Line,
    UnreadableDocumentError,
    ocr_engine,
    read_document,
    set_engine_threads,
)
from shenpi.blobs import BlobNotFound, SyncBlobStore, document_id_of, open_sync_blob_store
from shenpi.settings import Settings, get_settings
from shenpi_core.contracts import ACTIVITY_OCR, ServiceTaskInput

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


# A field read below this confidence is not trusted to decide anything by itself.
TRUSTED_CONFIDENCE = 0.8
MIN_CHARACTERS = 20  # fewer read from a whole page: a dark, blurred or sideways photo


def review_reason(extraction: Extraction, lines: list[Line]) -> str | None:
    """Why a person should look at the document itself, or None when its total can be used."""
    characters = sum(len(line.text) for line in lines)
    if characters < MIN_CHARACTERS:
        return (
            f"almost nothing could be read ({characters} characters): the photo may be too dark,"
            " blurred, cut off or sideways"
        )
    if extraction.kind == "unknown":
        return "not a kind of document the reader knows"
    total = extraction.fields.get("total")
    if total is None:
        return "no total could be read"
    if total.confidence < TRUSTED_CONFIDENCE:
        return f"the total ({total.value}) was read with low confidence ({total.confidence:.2f})"
    if extraction.flags:
        return "the document does not add up: " + ", ".join(extraction.flags)
    return None


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
    digital = read_digital(data)  # a digital e-invoice is read from its data, exactly
    if digital is not None:
        extraction, lines = digital.extraction, digital.lines
        pages, source = digital.pages, digital.source
    else:
        try:
            # A page can take longer than the heartbeat timeout on a busy machine: beat from a
            # thread.
            with heartbeating_thread() as beat:
                reading = read_document(data, on_page=beat.beat)
        except UnreadableDocumentError as err:
            raise _failure(f"{document_id}: {err}", UNREADABLE_DOCUMENT) from err
        extraction = extract(reading.lines, kind)
        lines, pages, source = reading.lines, reading.pages, reading.source
    text = "\n".join(line.text for line in lines)
    text_ref = store.put(text.encode(), content_type="text/plain", name="ocr.txt")
    fields = {name: f.value for name, f in extraction.fields.items()}
    summary: dict[str, Any] = {
        "kind": extraction.kind,
        "pages": pages,
        "source": source,
        "text_ref": text_ref.document_id,
        "fields": {
            name: {"value": f.value, "confidence": f.confidence}
            for name, f in extraction.fields.items()
        },
        "confidence": extraction.confidence,
        "flags": extraction.flags,
        "review_reason": review_reason(extraction, lines),
        "document_id": document_id,
    }
    return {**fields, "ocr": summary}
