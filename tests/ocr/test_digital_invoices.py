"""Digital e-invoices are read exactly from their data, before any OCR: the XML file, an OFD
package (its attached XML, or its pages' text), a PDF carrying its XML."""

from __future__ import annotations

import random

import pytest

from activities.ocr.digital import is_ofd, read_digital
from tests.ocr.documents import Doc, make_invoice, render
from tests.ocr.einvoices import (
    DIGITAL_FIELDS,
    digital_truth,
    invoice_xml,
    ofd_package,
    pdf_with_xml,
)


def _delivered(doc: Doc, form: str) -> bytes:
    if form == "xml":
        return invoice_xml(doc.truth)
    if form == "pdf_xml":
        return pdf_with_xml(doc)
    return ofd_package(doc, with_xml=form == "ofd_xml")


def _invoices(count: int = 3) -> list[Doc]:
    rng = random.Random(42)
    return [make_invoice(rng) for _ in range(count)]


@pytest.mark.parametrize(
    ("form", "source"),
    [("xml", "xml"), ("ofd_xml", "ofd"), ("ofd_text", "ofd"), ("pdf_xml", "pdf_xml")],
)
def test_every_field_of_a_digital_invoice_is_read_exactly(form: str, source: str) -> None:
    for doc in _invoices():
        data = _delivered(doc, form)
        reading = read_digital(data)
        assert reading is not None and reading.source == source
        read = {k: f.value for k, f in reading.extraction.fields.items()}
        assert {k: read.get(k) for k in DIGITAL_FIELDS} == digital_truth(doc)
        assert reading.extraction.kind == "vat_invoice" and not reading.extraction.flags
        assert all(f.confidence == 1.0 for f in reading.extraction.fields.values())


def test_an_invoice_that_does_not_add_up_is_flagged() -> None:
    (doc,) = _invoices(1)
    xml = invoice_xml({**doc.truth, "tax": doc.truth["tax"] + 1})
    reading = read_digital(xml)
    assert reading is not None and reading.extraction.flags == ["amount_tax_total_mismatch"]


def test_other_documents_are_left_to_the_reader() -> None:
    (doc,) = _invoices(1)
    rng = random.Random(1)
    assert read_digital(render(doc, "text_pdf", rng)) is None  # a PDF without attached XML
    assert read_digital(render(doc, "clean_png", rng)) is None
    assert read_digital(b"<note>not an invoice</note>") is None
    assert read_digital(b'<!DOCTYPE x [<!ENTITY a "aaaa">]><EInvoice>&a;</EInvoice>') is None
    assert is_ofd(ofd_package(doc, with_xml=False)) and not is_ofd(b"PK\x03\x04 not a zip")
