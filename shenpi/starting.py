"""How an instance is started: its input, search attributes and options, in one place.

People start instances over HTTP; messages, signals and schedules start them too (docs/api.md
"Messages and signals", docs/interpreter.md "Messages, signals and conditions"). Every starter
builds the same workflow start here, so an instance looks the same whoever started it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from temporalio.common import SearchAttributePair, TypedSearchAttributes

from shenpi.settings import Settings
from shenpi_core import search_attributes as sa
from shenpi_core.contracts import MEMO_PROCESS_ID, StartInput
from shenpi_core.process_plan import Priority, ProcessPlan
from workflows import priority


@dataclass(frozen=True)
class InstanceStart:
    """Everything ``Client.start_workflow`` (or a schedule's action) needs for one instance."""

    workflow_type: str  # the BPMN process id
    arg: StartInput
    search_attributes: TypedSearchAttributes
    memo: dict[str, Any]
    priority: Priority

    def options(self, settings: Settings) -> dict[str, Any]:
        return {
            "task_queue": settings.task_queue,
            "search_attributes": self.search_attributes,
            "memo": self.memo,
            "priority": priority.temporal_priority(self.priority),
        }


def instance_start(
    plan: ProcessPlan,
    version: int,
    *,
    variables: dict[str, Any],
    initiator: str,
    settings: Settings,
    business_key: str | None = None,
    chosen: Priority | None = None,
    start_event: str | None = None,
) -> InstanceStart:
    # Chosen here, not in the workflow: Temporal orders the first workflow task by it already.
    chosen = chosen or priority.process_default(plan, {**variables, "initiator": initiator})
    pairs: list[SearchAttributePair[Any]] = [
        SearchAttributePair(sa.VERSION, f"{plan.process_id}:{version}"),
        SearchAttributePair(sa.STATUS, "running"),
        SearchAttributePair(sa.INITIATOR, initiator),
        SearchAttributePair(sa.PENDING_ACTORS, []),
        SearchAttributePair(sa.PRIORITY, chosen),
    ]
    if business_key:
        pairs.append(SearchAttributePair(sa.BUSINESS_KEY, business_key))
    arg = StartInput(
        plan=plan,
        version=version,
        variables=variables,
        initiator=initiator,
        business_key=business_key,
        urge_min_interval_seconds=settings.urge_min_interval_seconds,
        notify_events=settings.default_notify_events,  # approvers' cards, the initiator's outcome
        priority=chosen,
        ai_heartbeats=settings.ai_provider != "callback",  # reviews answered in the worker
        start_event=start_event,
    )
    return InstanceStart(
        workflow_type=plan.process_id,
        arg=arg,
        search_attributes=TypedSearchAttributes(pairs),
        memo={MEMO_PROCESS_ID: plan.process_id},
        priority=chosen,
    )
