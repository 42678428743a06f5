"""The benchmark baseline: the bench process written by hand as an ordinary Temporal workflow.

Same shape and same observable contract as the interpreter running ``purchase-shape.bpmn``: one
``notify`` activity, then one task published to the inbox (search attributes + memo), decided by
the ``decide`` update with a validator, then the pending actors cleared, the audit trail archived
(the ``shenpi-archive`` activity) and the workflow completed
(inboxes list running instances only, so the memo is left as it is, as the interpreter does).

``InboxTask`` holds what every hand-written bench shape needs for that contract (the activity
calls, the inbox task, the ``decide`` update and its validator, the query, the archive);
``bench/handwritten_scoped.py`` builds the second shape on it.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from shenpi_core import search_attributes as sa
    from shenpi_core.contracts import (
        ACTIVITY_ARCHIVE,
        MEMO_TASKS,
        QUERY_STATE,
        UPDATE_DECIDE,
        ArchiveInput,
        DecisionInput,
        DecisionResult,
        ErrorType,
        InstanceState,
        ServiceTaskInput,
        StartInput,
        TaskView,
        TimelineEntry,
    )

TASK_ID = "manager_approval-1"


class InboxTask:
    """One human decision published to the inbox, decided by the ``decide`` update.

    Not a workflow itself: each shape subclasses it under ``@workflow.defn`` (the SDK collects
    the update, validator and query from base classes) and writes its own ``run``.
    """

    PROCESS_ID = "bench-handwritten"

    def __init__(self) -> None:
        self._task: TaskView | None = None
        self._decision: DecisionInput | None = None

    async def _notify(self, start: StartInput, node_id: str) -> None:
        """The ``notify`` activity of one service task, with the interpreter's defaults."""
        await workflow.execute_activity(
            "notify",
            ServiceTaskInput(
                instance_id=workflow.info().workflow_id,
                node_id=node_id,
                process_id=self.PROCESS_ID,
                variables=start.variables,
            ),
            start_to_close_timeout=timedelta(seconds=300),
            retry_policy=RetryPolicy(maximum_attempts=5),
        )

    def _open_task(self, start: StartInput) -> None:
        """Open the manager's task and publish it: pending actors, then the open-task memo."""
        assignee = str(start.variables["manager"])
        self._task = TaskView(
            task_id=TASK_ID,
            ref=TASK_ID,
            node_id="manager_approval",
            name="Manager approval",
            assignee=assignee,
            created_at=workflow.now(),
        )
        workflow.upsert_search_attributes([sa.PENDING_ACTORS.value_set([sa.user_actor(assignee)])])
        workflow.upsert_memo({MEMO_TASKS: [self._task.model_dump(mode="json")]})

    async def _finish(self, start: StartInput, outcome: str, events: list[str]) -> dict[str, Any]:
        """Clear the inbox, archive the audit trail, complete once the update has answered."""
        workflow.upsert_search_attributes(
            [sa.PENDING_ACTORS.value_set([]), sa.STATUS.value_set("completed")]
        )
        # The audit trail goes to the app database, as every Shenpi instance's does.
        await workflow.execute_activity(
            ACTIVITY_ARCHIVE,
            ArchiveInput(
                instance_id=workflow.info().workflow_id,
                state=self._final_state(start, outcome, events),
            ),
            start_to_close_timeout=timedelta(seconds=30),
            retry_policy=RetryPolicy(maximum_attempts=5),
        )
        await workflow.wait_condition(workflow.all_handlers_finished)
        return {"outcome": outcome}

    def _final_state(self, start: StartInput, outcome: str, events: list[str]) -> InstanceState:
        task, decision = self._task, self._decision
        actor = decision.actor if decision else None
        return InstanceState(
            process_id=self.PROCESS_ID,
            version=start.version,
            status="completed",
            outcome=outcome,
            initiator=start.initiator,
            variables=start.variables,
            tasks=[task] if task else [],
            timeline=[
                TimelineEntry(
                    at=workflow.now(),
                    event=event,
                    actor=actor if event in ("approved", "rejected") else None,
                )
                for event in events
            ],
        )

    @workflow.query(name=QUERY_STATE)
    def get_state(self) -> dict[str, Any]:
        return {"tasks": [self._task.model_dump(mode="json")] if self._task else []}

    @workflow.update(name=UPDATE_DECIDE)
    async def decide(self, decision: DecisionInput) -> DecisionResult:
        assert self._task is not None
        self._decision = decision
        self._task.status = "completed"
        self._task.outcome = "approved" if decision.action == "approve" else "rejected"
        return DecisionResult(accepted=True, task=self._task, instance_status="completed")

    @decide.validator
    def validate_decide(self, decision: DecisionInput) -> None:
        if self._task is None or self._task.task_id != decision.task_id:
            raise ApplicationError(
                "no such task", type=ErrorType.TASK_NOT_FOUND, non_retryable=True
            )
        if self._decision is not None or self._task.status != "open":
            raise ApplicationError("already decided", type=ErrorType.NOT_OPEN, non_retryable=True)
        if decision.actor != self._task.assignee:
            raise ApplicationError("not yours", type=ErrorType.NOT_ALLOWED, non_retryable=True)


@workflow.defn(name="bench-handwritten")
class HandwrittenPurchase(InboxTask):
    @workflow.run
    async def run(self, start: StartInput) -> dict[str, Any]:
        await self._notify(start, "notify_requester")
        self._open_task(start)
        await workflow.wait_condition(lambda: self._decision is not None)
        action = self._decision.action if self._decision else "reject"
        outcome = "approved" if action == "approve" else "rejected"
        return await self._finish(start, outcome, ["started", "task_opened", outcome])
