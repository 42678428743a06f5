"""A tiny workflow that runs ``ai-review`` once with a retry policy: the activity on a real worker,
without a whole process around it."""

from __future__ import annotations

from datetime import timedelta

from pydantic import BaseModel
from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from shenpi_core.contracts import ACTIVITY_AI_REVIEW, AiReviewInput, AiReviewResult


class ProbeInput(BaseModel):
    review: AiReviewInput
    attempts: int = 3
    timeout_seconds: float = 10.0


@workflow.defn(name="ai-probe")
class AiProbe:
    @workflow.run
    async def run(self, input: ProbeInput) -> AiReviewResult:
        result: AiReviewResult = await workflow.execute_activity(
            ACTIVITY_AI_REVIEW,
            input.review,
            result_type=AiReviewResult,
            start_to_close_timeout=timedelta(seconds=input.timeout_seconds),
            retry_policy=RetryPolicy(
                initial_interval=timedelta(milliseconds=100),
                backoff_coefficient=1.0,
                maximum_attempts=input.attempts,
            ),
        )
        return result
