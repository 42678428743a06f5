"""The history-budget baseline: ``service_task.bpmn`` written by hand as a plain Temporal workflow.

Deliberately minimal (no inbox publishing at all), so the interpreter's budget of 1.25× is
measured against the cheapest hand-written equivalent: activity, one decision update, the
archive of the audit trail (a feature every Shenpi instance has), done.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from shenpi_core.contracts import (
        ACTIVITY_ARCHIVE,
        UPDATE_DECIDE,
        ArchiveInput,
        DecisionInput,
        DecisionResult,
        InstanceState,
        ServiceTaskInput,
        StartInput,
        TaskView,
    )


@workflow.defn(name="handwritten_service_task")
class HandwrittenServiceTask:
    def __init__(self) -> None:
        self._decision: str | None = None

    @workflow.run
    async def run(self, start: StartInput) -> str:
        info = workflow.info()
        await workflow.execute_activity(
            "score",
            ServiceTaskInput(
                instance_id=info.workflow_id,
                node_id="score",
                process_id=info.workflow_type,
                variables=start.variables,
            ),
            start_to_close_timeout=timedelta(seconds=300),
            retry_policy=RetryPolicy(maximum_attempts=2),
        )
        await workflow.wait_condition(lambda: self._decision is not None)
        # Archiving the audit trail, added to running code the replay-safe way, as Shenpi does.
        if workflow.patched("archive"):
            await workflow.execute_activity(
                ACTIVITY_ARCHIVE,
                ArchiveInput(
                    instance_id=info.workflow_id,
                    state=InstanceState(
                        process_id=info.workflow_type, version=1, initiator=start.initiator
                    ),
                ),
                start_to_close_timeout=timedelta(seconds=30),
            )
        return "approved" if self._decision == "approve" else "rejected"

    @workflow.update(name=UPDATE_DECIDE)
    async def decide(self, decision: DecisionInput) -> DecisionResult:
        self._decision = decision.action
        task = TaskView(
            task_id=decision.task_id, ref="-", node_id="approve", created_at=workflow.now()
        )
        return DecisionResult(accepted=True, task=task, instance_status="completed")
