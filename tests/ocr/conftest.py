"""The OCR worker for real: the ``ocr`` activity in its process pool on ``<queue>-ocr``.

A tiny probe workflow on ``<queue>`` calls it the way the interpreter does (by name, on the OCR
queue, with a heartbeat timeout); documents go through the real local blob store.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from shenpi.blobs import BlobStore, open_blob_store
from shenpi.settings import Settings
from shenpi_core.contracts import ServiceTaskInput
from tests.ocr.documents import FONT
from tests.ocr.probe import OcrProbe

OCR_PROCESSES = 2


@dataclass
class OcrHarness:
    client: Client
    task_queue: str
    blobs: BlobStore

    async def run(
        self, variables: dict[str, Any], config: dict[str, str] | None = None
    ) -> dict[str, Any]:
        """Run ``ocr`` on these variables through Temporal; its variables out."""
        arg = ServiceTaskInput(
            instance_id=f"ocr-{uuid.uuid4()}",
            node_id="read_receipt",
            process_id="ocr_probe",
            config=config or {},
            variables=variables,
        )
        result: dict[str, Any] = await self.client.execute_workflow(
            OcrProbe.run, arg, id=arg.instance_id, task_queue=self.task_queue
        )
        return result

    async def read(self, data: bytes, config: dict[str, str] | None = None) -> dict[str, Any]:
        """Store ``data``, then OCR it as the variable ``document`` (its BlobRef JSON)."""
        ref = await self.blobs.put(data, content_type="application/octet-stream")
        return await self.run({"document": ref.model_dump(mode="json")}, config)


@pytest_asyncio.fixture(scope="module")
async def ocr(
    temporal_env: WorkflowEnvironment, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[OcrHarness]:
    if not FONT.exists():
        pytest.skip(f"the CJK font {FONT} is missing (make cjk-font installs it)")
    from worker import build_ocr_worker

    data_dir: Path = tmp_path_factory.mktemp("ocr")
    settings = Settings(env="test", data_dir=data_dir, ocr_processes=OCR_PROCESSES)
    task_queue = f"ocr-{uuid.uuid4()}"
    client = temporal_env.client
    blobs = open_blob_store(settings)
    probe = Worker(client, task_queue=task_queue, workflows=[OcrProbe])
    ocr_worker = build_ocr_worker(client, task_queue=task_queue, settings=settings)
    async with probe, ocr_worker:
        yield OcrHarness(client, task_queue, blobs)
    await blobs.aclose()
