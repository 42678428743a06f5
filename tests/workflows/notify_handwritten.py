"""The history-budget baseline with default notifications: ``service_task.bpmn`` written by hand,
telling the approver when the task opens and the initiator of the outcome (one activity each),
then archiving the audit trail as every Shenpi instance does."""

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


@workflow.defn(name="handwritten_notified_task")
class HandwrittenNotifiedTask:
    def __init__(self) -> None:
        self._decision: str | None = None

    @workflow.run
    async def run(self, start: StartInput) -> str:
        info = workflow.info()
        await workflow.execute_activity(
            "score",
            ServiceTaskInput(
                instance_id=info.workflow_id, node_id="score", process_id=info.workflow_type
            ),
            start_to_close_timeout=timedelta(seconds=300),
            retry_policy=RetryPolicy(maximum_attempts=2),
        )
        await self._notify("task_opened", ["alice"])
        await workflow.wait_condition(lambda: self._decision is not None)
        outcome = "approved" if self._decision == "approve" else "rejected"
        await self._notify("outcome", [start.initiator])
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
        return outcome

    async def _notify(self, event: str, to: list[str]) -> None:
        info = workflow.info()
        await workflow.execute_activity(
            "notify",
            ServiceTaskInput(
                instance_id=info.workflow_id,
                node_id="approve",
                process_id=info.workflow_type,
                config={"event": event},
                variables={"recipients": to},
            ),
            start_to_close_timeout=timedelta(seconds=30),
        )

    @workflow.update(name=UPDATE_DECIDE)
    async def decide(self, decision: DecisionInput) -> DecisionResult:
        self._decision = decision.action
        task = TaskView(
            task_id=decision.task_id, ref="-", node_id="approve", created_at=workflow.now()
        )
        return DecisionResult(accepted=True, task=task, instance_status="completed")
