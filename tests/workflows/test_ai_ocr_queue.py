"""OCR service tasks run on the OCR task queue (``<workflow queue>-ocr``) unless the model names
one, so the CPU-bound OCR workers never starve workflow tasks; they heartbeat per page, so a dead
OCR process is noticed within the heartbeat timeout, not at start-to-close."""

from __future__ import annotations

from datetime import timedelta

from temporalio.client import Client
from temporalio.worker import Worker

from shenpi_core.contracts import ACTIVITY_OCR, OCR_QUEUE_SUFFIX
from tests.workflows.ai_support import OCR_QUEUES, ai_worker, fake_ocr, with_ai
from tests.workflows.approval_support import start_plan
from tests.workflows.support import open_task, state


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
    assert OCR_QUEUES[handle.id] == ocr_queue
    assert variables["total"] == "128.00" and variables["ocr"]["kind"] == "receipt"


async def test_ocr_activity_is_scheduled_with_a_heartbeat_timeout(
    client: Client, task_queue: str
) -> None:
    process = with_ai("service_task", "score", task_type=ACTIVITY_OCR, result_variable=None)
    async with (
        ai_worker(client, task_queue),
        Worker(client, task_queue=task_queue + OCR_QUEUE_SUFFIX, activities=[fake_ocr]),
    ):
        handle = await start_plan(client, process, task_queue)
        await open_task(handle, "approve")
    history = await handle.fetch_history()
    (scheduled,) = [
        e.activity_task_scheduled_event_attributes
        for e in history.events
        if e.HasField("activity_task_scheduled_event_attributes")
        and e.activity_task_scheduled_event_attributes.activity_type.name == ACTIVITY_OCR
    ]
    heartbeat = scheduled.heartbeat_timeout.ToTimedelta()
    # A page takes a second or two: a minute without a heartbeat means the OCR process is gone.
    assert timedelta(0) < heartbeat <= timedelta(minutes=1)
    assert heartbeat < scheduled.start_to_close_timeout.ToTimedelta()
