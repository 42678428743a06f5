"""Publishing the inbox to Temporal visibility: search attributes and the open-task memo.

Each upsert is a history event, and history is budgeted (≤ 1.25× a hand-written workflow), so
``publish`` runs once per wake-up of the main loop and upserts only what changed since the last
publish — or since the start, when the starter already set the attributes. The open-task memo is
left as it is when the instance closes: inboxes list running instances only, and the closing
search-attribute upsert (status, no pending actors) already says the rest.
"""

from __future__ import annotations

from typing import Any

from temporalio import workflow
from temporalio.common import SearchAttributeKey, SearchAttributeUpdate

from shenpi_core import search_attributes as sa
from shenpi_core.contracts import (
    MEMO_INCIDENTS,
    MEMO_PROCESS_ID,
    MEMO_TASKS,
    InstanceState,
    TaskView,
)
from shenpi_core.limits import PENDING_ACTORS_BUDGET_BYTES
from workflows.tasks import TaskBook

# Instances started before GET /incidents existed publish no incident memo: their histories
# replay without the upsert. The marker is only recorded by an instance that has an incident.
PATCH_INCIDENT_MEMO = "incident-memo"
# Instances started before ``ShenpiNextDue`` existed replay without its upsert; an instance
# records the marker when it first has a due date to publish (docs/architecture.md §2).
PATCH_NEXT_DUE = "shenpi-next-due"


class Inbox:
    def __init__(self) -> None:
        current = workflow.info().typed_search_attributes
        self._attrs: dict[str, Any] = {key.name: current.get(key) for key in sa.ALL}
        self._memo_tasks: Any = workflow.memo_value(MEMO_TASKS, None) or []
        self._memo_process: Any = workflow.memo_value(MEMO_PROCESS_ID, None)
        self._memo_incidents: Any = workflow.memo_value(MEMO_INCIDENTS, None) or []

    def publish(
        self, state: InstanceState, book: TaskBook, process_id: str, waiting_for: list[str]
    ) -> None:
        self._publish_attributes(state, book, waiting_for)
        tasks = [memo_task(t) for t in book.open_tasks()]
        memo: dict[str, Any] = {}
        if tasks != self._memo_tasks and state.status not in ("completed", "terminated"):
            memo[MEMO_TASKS] = self._memo_tasks = tasks
        if self._memo_process != process_id:
            memo[MEMO_PROCESS_ID] = self._memo_process = process_id
        incidents = open_incidents(state)
        if incidents != self._memo_incidents and workflow.patched(PATCH_INCIDENT_MEMO):
            memo[MEMO_INCIDENTS] = self._memo_incidents = incidents
        if memo:
            workflow.upsert_memo(memo)

    def _publish_attributes(
        self, state: InstanceState, book: TaskBook, waiting_for: list[str]
    ) -> None:
        wanted: list[tuple[SearchAttributeKey[Any], Any]] = [
            (sa.STATUS, state.status),
            (sa.PENDING_ACTORS, sa.fit_actors(book.pending_actors(), PENDING_ACTORS_BUDGET_BYTES)),
            # The signals it waits for: what a broadcast looks up (never set before signals).
            (sa.WAITING_FOR, waiting_for),
        ]
        # Identity attributes are normally set by the starter (no event); fill them in otherwise.
        if self._attrs[sa.VERSION.name] is None:
            wanted.append((sa.VERSION, f"{state.process_id}:{state.version}"))
        if self._attrs[sa.INITIATOR.name] is None:
            wanted.append((sa.INITIATOR, state.initiator))
        if self._attrs[sa.BUSINESS_KEY.name] is None and state.business_key:
            wanted.append((sa.BUSINESS_KEY, state.business_key))
        if state.priority is not None:  # set by the starter; published again when changed
            wanted.append((sa.PRIORITY, state.priority))
        due = [t.due_at for t in book.open_tasks() if t.due_at is not None]
        next_due = min(due, default=None)
        # A task opening or closing changes the actors too, so this rides in their upsert; the
        # patch is asked only when there is something to publish, as for the incident memo.
        if _normal(self._attrs[sa.NEXT_DUE.name]) != next_due and workflow.patched(PATCH_NEXT_DUE):
            wanted.append((sa.NEXT_DUE, next_due))
        updates: list[SearchAttributeUpdate[Any]] = []
        for key, value in wanted:
            if _normal(self._attrs[key.name]) == _normal(value):
                continue
            self._attrs[key.name] = value
            updates.append(key.value_set(value) if value else key.value_unset())
        if updates:
            workflow.upsert_search_attributes(updates)


def memo_task(task: TaskView) -> dict[str, Any]:
    """A task as the inbox memo holds it: ids and states only (docs/architecture.md §3).

    The AI's advice text and risk flags are request content, left out (``GET /tasks`` loads them
    by ``result_id``). A task without AI has no ``ai`` key at all, as before AI existed: a
    ``null`` there would differ from the memo of running instances and upsert it again on replay.
    """
    if task.ai is None:
        return task.model_dump(mode="json", exclude={"ai"})
    return task.model_dump(mode="json", exclude={"ai": {"advice", "risk_flags"}})


def open_incidents(state: InstanceState) -> list[dict[str, Any]]:
    """The open incidents as the memo holds them: ids and kinds only. The message stays out:
    an expression's error may quote a variable's value, and the memo is not encrypted."""
    return [
        {
            "incident_id": str(number),
            "node_id": incident.node_id,
            "kind": incident.kind,
            "at": incident.at.isoformat(),
        }
        for number, incident in enumerate(state.incidents, start=1)
        if incident.resolved_at is None
    ]


def _normal(value: Any) -> Any:
    """An unset list attribute and an empty one mean the same: nobody is pending."""
    if value in (None, [], ""):
        return None
    return list(value) if isinstance(value, list | tuple) else value
