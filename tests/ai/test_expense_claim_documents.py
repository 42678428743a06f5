"""The expense claim of ``processes/expense-claim.bpmn`` decides clear claims by itself, end to
end over HTTP, offline: a taxi claim with a photo of its taxi invoice, and claims with a digital
e-invoice (its XML file, its OFD package, a PDF carrying its XML). The documents go through the
documents API, the real ``ocr`` activity and the offline reviewer."""

from __future__ import annotations

import io
import random
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from temporalio.testing import WorkflowEnvironment

from tests.api.conftest import Stack
from tests.api.flows import ended, start
from tests.api.test_expense_claim import _stack
from tests.ocr.documents import Doc, draw, make_invoice
from tests.ocr.einvoices import invoice_xml, ofd_package, pdf_with_xml
from tests.ocr.travel_documents import distort, make_taxi

SLOW_OCR = 180.0  # seconds: a photo is read on a shared 2-core machine


@pytest_asyncio.fixture
async def offline(temporal_env: WorkflowEnvironment, tmp_path: Path) -> AsyncIterator[Stack]:
    async with _stack(temporal_env, tmp_path, ai_provider="local") as stack:
        yield stack


async def _claim(stack: Stack, name: str, data: bytes, amount: float, description: str) -> str:
    async with stack.http("alice") as http:
        uploaded = await http.post("/api/v1/documents", files={"file": (name, data)})
        assert uploaded.status_code == 201, uploaded.text
        variables = {"amount": amount, "description": description, "receipt": uploaded.json()}
        return await start(http, "expense-claim", variables=variables)


async def _decided_by_the_ai(stack: Stack, instance_id: str) -> dict[str, Any]:
    async with stack.http("alice") as http:
        final = await ended(http, instance_id, timeout=SLOW_OCR)
    assert final["outcome"] == "approved", final
    (approval,) = [e for e in final["timeline"] if e["event"] == "approved"]
    assert approval["actor"].startswith("ai:") and approval["node_id"] == "Task_AiReview"
    variables: dict[str, Any] = final["variables"]
    return variables


async def test_a_taxi_claim_with_a_photo_of_its_taxi_invoice_is_approved_by_itself(
    offline: Stack,
) -> None:
    doc = make_taxi(random.Random(8))
    photo = io.BytesIO()
    distort(draw(doc), "skewed", random.Random(8)).save(photo, format="JPEG", quality=85)
    description = "出差期间打车去客户公司 出租车发票"
    instance_id = await _claim(
        offline, "taxi.jpg", photo.getvalue(), doc.truth["total"], description
    )
    variables = await _decided_by_the_ai(offline, instance_id)
    read = variables["receipt_ocr"]
    assert read["ocr"]["kind"] == "taxi_invoice" and read["ocr"]["source"] == "ocr"
    assert read["total"] == doc.truth["total"] and read["ocr"]["review_reason"] is None
    assert "buyer_name" not in read


def _small_invoice() -> Doc:
    rng = random.Random(21)
    while (doc := make_invoice(rng)).truth["total"] > 1000:
        continue
    return doc


@pytest.mark.parametrize(
    ("name", "form"), [("invoice.xml", "xml"), ("invoice.ofd", "ofd"), ("invoice.pdf", "pdf_xml")]
)
async def test_a_claim_with_a_digital_e_invoice_is_approved_by_itself(
    offline: Stack, name: str, form: str
) -> None:
    doc = _small_invoice()
    data = {
        "xml": lambda: invoice_xml(doc.truth),
        "ofd": lambda: ofd_package(doc, with_xml=True),
        "pdf_xml": lambda: pdf_with_xml(doc),
    }[form]()
    description = "出差北京 住宿2晚 酒店增值税发票"
    instance_id = await _claim(offline, name, data, doc.truth["total"], description)
    variables = await _decided_by_the_ai(offline, instance_id)
    read = variables["receipt_ocr"]
    assert read["ocr"]["source"] == form and read["ocr"]["confidence"] == 1.0
    assert (read["total"], read["seller_name"]) == (doc.truth["total"], doc.truth["seller_name"])
