"""A tiny workflow that runs the ``notify`` activity once, with a quick retry policy."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from pydantic import BaseModel
from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from shenpi_core.contracts import ServiceTaskInput


class NotifyOnceInput(BaseModel):
    arg: ServiceTaskInput
    attempts: int = 3


@workflow.defn
class NotifyOnce:
    @workflow.run
    async def run(self, input: NotifyOnceInput) -> dict[str, Any]:
        result: dict[str, Any] = await workflow.execute_activity(
            "notify",
            input.arg,
            start_to_close_timeout=timedelta(seconds=30),
            retry_policy=RetryPolicy(
                initial_interval=timedelta(milliseconds=100),
                backoff_coefficient=1.0,
                maximum_attempts=input.attempts,
            ),
            result_type=dict,
        )
        return result
