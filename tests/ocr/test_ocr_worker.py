"""``shenpi worker --ocr-only``: ``run_worker`` serves OCR alone, and its pool stops with it."""

from __future__ import annotations

import asyncio
import multiprocessing
import random
import uuid
from pathlib import Path

from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from shenpi.blobs import open_blob_store
from shenpi.settings import Settings
from shenpi_core.contracts import ServiceTaskInput
from tests.ocr.documents import make_receipt, render
from tests.ocr.probe import OcrProbe
from tests.ports import free_port
from worker import run_worker


async def test_ocr_only_worker_serves_ocr_and_leaves_no_process_behind(
    temporal_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    client = temporal_env.client
    queue = f"ocr-only-{uuid.uuid4()}"
    settings = Settings(
        _env_file=None,
        env="test",
        data_dir=tmp_path,
        task_queue=queue,
        temporal_address=client.service_client.config.target_host,
        worker_metrics_port=free_port(),
        ocr_processes=1,
    )
    doc = make_receipt(random.Random(31))
    blobs = open_blob_store(settings)
    ref = await blobs.put(render(doc, "text_pdf", random.Random(0)), content_type="x")
    await blobs.aclose()
    before = set(multiprocessing.active_children())  # other tests' processes are not ours
    running = asyncio.create_task(run_worker(settings, ocr_only=True))
    try:
        # The probe stands in for the interpreter (which --ocr-only does not run).
        async with Worker(client, task_queue=queue, workflows=[OcrProbe]):
            arg = ServiceTaskInput(
                instance_id=f"ocr-{uuid.uuid4()}",
                node_id="read",
                process_id="probe",
                variables={"document": ref.document_id},
            )
            result = await client.execute_workflow(
                OcrProbe.run, arg, id=arg.instance_id, task_queue=queue
            )
        assert result["total"] == doc.truth["total"]
        # The pool (and its manager) run beside us.
        assert set(multiprocessing.active_children()) - before
    finally:
        running.cancel()
        await asyncio.wait_for(asyncio.gather(running, return_exceptions=True), timeout=60)
    assert running.cancelled()
    assert set(multiprocessing.active_children()) - before == set()
