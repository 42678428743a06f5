"""The base of workflows emitted by ``shenpi compile --emit python``: the plan lives in the code.

The emitted class only names the workflow type and carries the plan; everything else (tokens,
handlers, inbox, continue-as-new) is the interpreter's, so a pinned process behaves exactly like
the same process deployed through the API.
"""

from __future__ import annotations

from typing import Any, ClassVar

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from shenpi_core.contracts import EmbeddedStartInput, InstanceState, StartInput
    from shenpi_core.process_plan import ProcessPlan
    from workflows.instance import InstanceWorkflow


class EmbeddedPlanWorkflow(InstanceWorkflow):
    """Subclasses set ``PLAN`` (the plan as JSON data) and define ``__init__``/``run``."""

    PLAN: ClassVar[dict[str, Any]]

    def _start_embedded(self, input: EmbeddedStartInput) -> None:
        self._setup(
            StartInput(
                plan=ProcessPlan.model_validate(self.PLAN),
                version=input.version,
                variables=input.variables,
                initiator=input.initiator,
                business_key=input.business_key,
                resume=input.resume,
                max_history_events=input.max_history_events,
                worker_wait_seconds=input.worker_wait_seconds,
                urge_min_interval_seconds=input.urge_min_interval_seconds,
                notify_events=input.notify_events,
                ai_heartbeats=input.ai_heartbeats,
            )
        )

    def _next_run_input(self, snapshot: InstanceState) -> Any:
        return EmbeddedStartInput(
            initiator=snapshot.initiator,
            business_key=snapshot.business_key,
            version=snapshot.version,
            resume=snapshot,
            max_history_events=self._max_history_events,
            worker_wait_seconds=self._worker_wait_seconds,
            urge_min_interval_seconds=self._urge_interval.total_seconds(),
            notify_events=self._notify_events,
            ai_heartbeats=self._ai_heartbeats,
        )
