"""OCR service tasks run on the OCR task queue (``<workflow queue>-ocr``) unless the model names
one, so the CPU-bound OCR workers never starve workflow tasks."""

from __future__ import annotations

from typing import Any

from temporalio import activity
from temporalio.client import Client
from temporalio.worker import Worker

from tests.workflows.ai_support import ai_worker, with_ai
from tests.workflows.approval_support import start_plan
from tests.workflows.support import open_task, state
from workflows.contracts import ACTIVITY_OCR, OCR_QUEUE_SUFFIX, ServiceTaskInput

SEEN: dict[str, str] = {}  # instance id -> the task queue the OCR activity ran on


@activity.defn(name=ACTIVITY_OCR)
async def fake_ocr(input: ServiceTaskInput) -> dict[str, Any]:
    SEEN[input.instance_id] = activity.info().task_queue
    return {"total": "128.00", "ocr": {"kind": "receipt", "pages": 1, "confidence": 0.97}}


async def test_ocr_service_task_runs_on_the_ocr_task_queue(client: Client, task_queue: str) -> None:
    ocr_queue = task_queue + OCR_QUEUE_SUFFIX
    process = with_ai("service_task", "score", task_type=ACTIVITY_OCR, result_variable=None)
    # Whatever the main worker registers, only a worker polling the OCR queue gets the activity.
    async with (
        ai_worker(client, task_queue),
        Worker(client, task_queue=ocr_queue, activities=[fake_ocr]),
    ):
        handle = await start_plan(client, process, task_queue)
        await open_task(handle, "approve")
        variables = (await state(handle)).variables
    assert SEEN[handle.id] == ocr_queue
    assert variables["total"] == "128.00" and variables["ocr"]["kind"] == "receipt"
