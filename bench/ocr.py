"""OCR bench (run by hand): pages/s and field accuracy per document form, then pool throughput.

    .venv/bin/python -m bench.ocr            # 8 invoices + 8 receipts per form
    .venv/bin/python -m bench.ocr --docs 20 --processes 2
    .venv/bin/python -m bench.ocr --compare --docs 4   # before/after OCR profiles, same run
    .venv/bin/python -m bench.ocr --kinds --docs 3     # accuracy per kind and distortion

Part 1 reads every document in this process (read + extract, no Temporal): per-form speed and
field accuracy, the harsher forms included. Part 2 runs the ``ocr`` activity for real, on the OCR
worker's process pool behind a local Temporal dev server, and reports end-to-end pages/s.
Prints Markdown tables (docs/documents.md keeps the numbers of one run).
"""

from __future__ import annotations

import argparse
import asyncio
import io
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Sequence
from pathlib import Path

from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from activities.ocr.fields import extract
from activities.ocr.reader import (
    PROFILES,
    ocr_engine,
    read_document,
    set_engine_threads,
    set_profile,
)
from shenpi.blobs import BlobRef, open_blob_store
from shenpi.settings import Settings
from shenpi_core.contracts import ServiceTaskInput
from tests.ocr.accuracy import Tally, table
from tests.ocr.documents import HARSH_VARIANTS, VARIANTS, Doc, batch, draw, render
from tests.ocr.probe import OcrProbe
from tests.ocr.travel_documents import DISTORTIONS, distort, travel_batch
from tests.ocr.travel_documents import KINDS as TRAVEL_KINDS

BIN_DIR = Path(sys.executable).parent
KINDS = ("vat_invoice", "receipt")


def in_process(docs: int) -> None:
    ocr_engine()  # model loading is not reading
    rows: list[tuple[str, str, Tally]] = []
    speed: dict[str, str] = {}
    for seed, kind in enumerate(KINDS, start=500):
        for form in (*VARIANTS, *HARSH_VARIANTS):
            rng = random.Random(seed)
            documents = batch(kind, docs, seed)
            files = [render(doc, form, rng) for doc in documents]
            tally = Tally()
            started = time.perf_counter()
            pages = 0
            for doc, data in zip(documents, files, strict=True):
                reading = read_document(data)
                pages += reading.pages
                values = {k: f.value for k, f in extract(reading.lines).fields.items()}
                tally.add(doc.truth, values)
            elapsed = time.perf_counter() - started
            speed[f"{kind}/{form}"] = f"{pages / elapsed:.2f}"
            rows.append((kind, form, tally))
            rate = f"{pages / elapsed:.2f} pages/s"
            print(f"  {kind} {form}: {tally.accuracy:.1%}, {rate} {tally.misses}", flush=True)
    print("\n## One process (read + extract)\n\n```")
    print(table(rows, speed))
    print("```")


async def through_the_pool(docs: int, processes: int) -> None:
    from worker import build_ocr_worker

    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=str(BIN_DIR / "temporal"), data_converter=pydantic_data_converter
    )
    with tempfile.TemporaryDirectory() as data_dir:
        settings = Settings(env="test", data_dir=Path(data_dir), ocr_processes=processes)
        blobs = open_blob_store(settings)
        queue = f"bench-ocr-{uuid.uuid4()}"
        rng = random.Random(9)
        files = [render(d, "clean_png", rng) for d in batch("vat_invoice", docs * 2, 9)]
        refs = [await blobs.put(data, content_type="image/png") for data in files]
        try:
            async with (
                Worker(env.client, task_queue=queue, workflows=[OcrProbe]),
                build_ocr_worker(env.client, task_queue=queue, settings=settings),
            ):
                await _run_all(env, queue, refs[:processes])  # warm: every process loads models
                started = time.perf_counter()
                await _run_all(env, queue, refs)
                elapsed = time.perf_counter() - started
        finally:
            await blobs.aclose()
            await env.shutdown()
    cores = os.cpu_count()
    print(f"\n## Through Temporal: `ocr` on a pool of {processes} process(es), {cores} cores")
    print(f"\n{len(refs)} invoice images in {elapsed:.1f} s: **{len(refs) / elapsed:.2f} pages/s**")


async def _run_all(env: WorkflowEnvironment, queue: str, refs: Sequence[BlobRef]) -> None:
    async def one(document_id: str) -> None:
        arg = ServiceTaskInput(
            instance_id=f"bench-{uuid.uuid4()}",
            node_id="ocr",
            process_id="bench",
            variables={"document": document_id},
        )
        await env.client.execute_workflow(OcrProbe.run, arg, id=arg.instance_id, task_queue=queue)

    await asyncio.gather(*(one(ref.document_id) for ref in refs))


def _photo(doc: Doc, distortion: str, rng: random.Random) -> bytes:
    out = io.BytesIO()
    distort(draw(doc), distortion, rng).save(out, format="JPEG", quality=85)
    return out.getvalue()


def compare_profiles(docs: int) -> None:
    """Before/after in one run, on one core: each page read by the baseline engine and by the
    fast one in turn (so a busy machine slows both alike); seconds per page and field accuracy."""
    set_engine_threads(1)
    for profile in PROFILES:
        set_profile(profile)
        ocr_engine()  # loading is not reading
    pages: list[tuple[str, str, Doc, bytes]] = []
    for n, kind in enumerate(("vat_invoice", "receipt", *TRAVEL_KINDS)):
        rng = random.Random(700 + n)
        made = batch(kind, docs, 700 + n) if kind in KINDS else travel_batch(kind, docs, 700 + n)
        pages += [(kind, "clean_png", d, render(d, "clean_png", rng)) for d in made]
        pages += [(kind, "photo", d, _photo(d, "skewed", rng)) for d in made[: max(1, docs // 2)]]
    seconds: dict[str, list[float]] = {p: [] for p in PROFILES}
    tallies: dict[str, Tally] = {p: Tally() for p in PROFILES}
    for kind, form, doc, data in pages:
        for profile in PROFILES:
            set_profile(profile)
            started = time.perf_counter()
            reading = read_document(data)
            values = {k: f.value for k, f in extract(reading.lines).fields.items()}
            seconds[profile].append(time.perf_counter() - started)
            tallies[profile].add(doc.truth, values)
        print(f"  {kind} {form}: " + ", ".join(f"{p} {seconds[p][-1]:.2f}s" for p in PROFILES))
    print(f"\n## OCR profiles, one core, {len(pages)} pages each, same run\n")
    print("| profile | median s/page | pages/s | fields exact |")
    print("|---|---|---|---|")
    for profile in PROFILES:
        median = statistics.median(seconds[profile])
        tally = tallies[profile]
        print(
            f"| {profile} | {median:.2f} | {1 / median:.2f} |"
            f" {tally.exact}/{tally.total} ({tally.accuracy:.1%}) |"
        )
    ratio = statistics.median(seconds["baseline"]) / statistics.median(seconds["fast"])
    print(f"\nfast / baseline speed: **{ratio:.2f}x** (median seconds per page)")


def kinds_and_distortions(docs: int) -> None:
    """Field accuracy per document kind and photo distortion, and how many went to a person
    (a review reason) rather than being read whole."""
    from activities.ocr.activity import review_reason

    ocr_engine()
    print("\n## Field accuracy per kind and distortion (JPEG photos)\n")
    print("| kind | " + " | ".join(DISTORTIONS) + " |")
    print("|---|" + "---|" * len(DISTORTIONS))
    for n, kind in enumerate((*TRAVEL_KINDS, "receipt")):
        cells = []
        for distortion in DISTORTIONS:
            rng = random.Random(900 + n)
            made = (
                batch(kind, docs, 900 + n) if kind in KINDS else travel_batch(kind, docs, 900 + n)
            )
            tally, handed = Tally(), 0
            for doc in made:
                reading = read_document(_photo(doc, distortion, rng))
                extraction = extract(reading.lines)
                tally.add(doc.truth, {k: f.value for k, f in extraction.fields.items()})
                handed += review_reason(extraction, reading.lines) is not None
            cells.append(f"{tally.accuracy:.0%} ({handed} to people)")
            print(f"  {kind} {distortion}: {tally.accuracy:.1%} {tally.misses[:2]}", flush=True)
        print(f"| {kind} | " + " | ".join(cells) + " |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=8, help="documents per kind and form")
    parser.add_argument("--processes", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--skip-pool", action="store_true", help="only the in-process part")
    parser.add_argument(
        "--compare", action="store_true", help="only: baseline vs fast profile, same run, 1 core"
    )
    parser.add_argument(
        "--kinds", action="store_true", help="only: accuracy per kind and photo distortion"
    )
    args = parser.parse_args()
    if args.compare or args.kinds:
        if args.compare:
            compare_profiles(args.docs)
        if args.kinds:
            kinds_and_distortions(args.docs)
        return
    in_process(args.docs)
    if not args.skip_pool:
        asyncio.run(through_the_pool(args.docs, args.processes))


if __name__ == "__main__":
    main()
