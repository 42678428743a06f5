"""Field accuracy over seeded batches of drawn invoices and receipts, clean and degraded.

Every document goes through the real ``ocr`` activity on its process-pool worker. ``pytest -s``
prints the table. Bars: clean forms (PNG, text-layer PDF) ≥ 95 % of fields exact; degraded forms
(noise + JPEG, rotated 2–4°, 45 % resolution, image-only PDF) ≥ 85 % (docs/documents.md).
"""

from __future__ import annotations

import asyncio
import random

from tests.ocr.accuracy import Tally, table
from tests.ocr.conftest import OcrHarness
from tests.ocr.documents import VARIANTS, batch, render

CLEAN = ("clean_png", "text_pdf")
CLEAN_BAR = 0.95
DEGRADED_BAR = 0.85
PER_FORM = {"vat_invoice": 2, "receipt": 2}  # 24 documents in all: a few seconds each on 2 cores


async def _tally(ocr: OcrHarness, kind: str, form: str, seed: int) -> Tally:
    docs = batch(kind, PER_FORM[kind], seed)
    rng = random.Random(seed)
    files = [render(doc, form, rng) for doc in docs]
    results = await asyncio.gather(*(ocr.read(data) for data in files))
    tally = Tally()
    for doc, variables in zip(docs, results, strict=True):
        assert variables["ocr"]["kind"] == kind  # found by itself: config kind is "auto"
        tally.add(doc.truth, variables)
    return tally


async def test_field_accuracy_meets_the_bars_for_clean_and_degraded_forms(
    ocr: OcrHarness,
) -> None:
    rows = []
    for seed, kind in enumerate(PER_FORM, start=100):
        tallies = await asyncio.gather(*(_tally(ocr, kind, form, seed) for form in VARIANTS))
        rows += [(kind, form, t) for form, t in zip(VARIANTS, tallies, strict=True)]
    print("\n" + table(rows))
    for kind, form, tally in rows:
        bar = CLEAN_BAR if form in CLEAN else DEGRADED_BAR
        assert tally.accuracy >= bar, (kind, form, tally.misses)
