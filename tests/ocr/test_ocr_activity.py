"""The ``ocr`` activity on its process-pool worker: the variables it returns, and how it fails."""

from __future__ import annotations

import random

import pytest
from temporalio.client import WorkflowFailureError
from temporalio.exceptions import ActivityError, ApplicationError

from tests.ocr.conftest import OcrHarness
from tests.ocr.documents import make_invoice, make_receipt, render

INVOICE_FIELDS = {
    "invoice_code",
    "invoice_number",
    "invoice_date",
    "buyer_name",
    "buyer_tax_id",
    "seller_name",
    "seller_tax_id",
    "amount",
    "tax",
    "total",
    "total_in_words",
}


async def test_text_layer_invoice_gives_flat_fields_and_the_ocr_summary(ocr: OcrHarness) -> None:
    doc = make_invoice(random.Random(11))
    variables = await ocr.read(render(doc, "text_pdf", random.Random(0)))
    summary = variables.pop("ocr")
    assert variables == doc.truth
    assert summary["kind"] == "vat_invoice"
    assert (summary["pages"], summary["source"]) == (1, "text_layer")
    assert set(summary["fields"]) == INVOICE_FIELDS
    assert summary["flags"] == []
    # A text layer reads with certainty; every field passed its check (USCC, 大写 = figures).
    assert {f["confidence"] for f in summary["fields"].values()} == {1.0}
    assert summary["confidence"] == 1.0
    text = (await ocr.blobs.get(summary["text_ref"])).decode()
    assert doc.truth["buyer_tax_id"] in text
    assert (await ocr.blobs.head(summary["text_ref"])).content_type == "text/plain"


async def test_scanned_receipt_is_read_by_ocr_with_field_confidences(ocr: OcrHarness) -> None:
    doc = make_receipt(random.Random(5))
    variables = await ocr.read(render(doc, "scan_pdf", random.Random(0)), {"kind": "receipt"})
    summary = variables.pop("ocr")
    assert variables == doc.truth
    assert (summary["kind"], summary["source"]) == ("receipt", "ocr")
    confidences = [f["confidence"] for f in summary["fields"].values()]
    assert all(0.3 < c <= 1.0 for c in confidences)
    assert summary["confidence"] == pytest.approx(sum(confidences) / len(confidences), abs=1e-3)


async def test_the_document_variable_can_be_named_and_hold_just_the_id(ocr: OcrHarness) -> None:
    doc = make_receipt(random.Random(8))
    ref = await ocr.blobs.put(render(doc, "text_pdf", random.Random(0)), content_type="x")
    variables = await ocr.run({"receipt": ref.document_id}, {"document": "receipt"})
    assert variables["total"] == doc.truth["total"]
    assert variables["ocr"]["document_id"] == ref.document_id


async def _failure_of(ocr: OcrHarness, variables: dict[str, object]) -> ApplicationError:
    with pytest.raises(WorkflowFailureError) as err:
        await ocr.run(variables)
    activity_error = err.value.cause
    assert isinstance(activity_error, ActivityError)
    cause = activity_error.cause
    assert isinstance(cause, ApplicationError)
    return cause


async def test_a_missing_document_fails_at_once_as_document_not_found(ocr: OcrHarness) -> None:
    cause = await _failure_of(ocr, {"document": "sha256:" + "0" * 64})
    assert (cause.type, cause.non_retryable) == ("DocumentNotFound", True)


async def test_a_variable_without_a_reference_fails_as_document_not_found(
    ocr: OcrHarness,
) -> None:
    cause = await _failure_of(ocr, {"document": {"path": "/etc/passwd"}})
    assert (cause.type, cause.non_retryable) == ("DocumentNotFound", True)


async def test_a_broken_pdf_fails_at_once_as_unreadable(ocr: OcrHarness) -> None:
    ref = await ocr.blobs.put(b"%PDF-1.7\n this is not a PDF body", content_type="x")
    cause = await _failure_of(ocr, {"document": ref.document_id})
    assert (cause.type, cause.non_retryable) == ("UnreadableDocument", True)
