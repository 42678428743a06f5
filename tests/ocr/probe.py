"""A tiny workflow that calls ``ocr`` as the interpreter does: by name, on ``<queue>-ocr``.

Its own module, importing nothing heavy: the workflow sandbox re-imports what a workflow's module
imports (numpy, for one, refuses to load twice).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from shenpi_core.contracts import ACTIVITY_OCR, OCR_QUEUE_SUFFIX, ServiceTaskInput


@workflow.defn(name="OcrProbe")
class OcrProbe:
    @workflow.run
    async def run(self, input: ServiceTaskInput) -> dict[str, Any]:
        result: dict[str, Any] = await workflow.execute_activity(
            ACTIVITY_OCR,
            input,
            task_queue=workflow.info().task_queue + OCR_QUEUE_SUFFIX,
            start_to_close_timeout=timedelta(seconds=120),
            heartbeat_timeout=timedelta(seconds=60),
            retry_policy=RetryPolicy(maximum_attempts=3),
            result_type=dict,
        )
        return result
