"""Every committed history replays against the current interpreter (docs/architecture.md §2).

A failure here means an interpreter change is not replay-safe for instances already running:
guard it with ``workflow.patched(...)`` instead of changing the recorded behaviour.
"""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer

from shenpi.payload_codec import data_converter_for
from shenpi.payload_keys import KeyRing, new_key_entry
from workflows.broadcast import Broadcast
from workflows.interpreter import Interpreter
from workflows.mailbox import Mailbox

HISTORIES = sorted(Path(__file__).parent.glob("*.json"))


def test_representative_histories_are_committed() -> None:
    names = {p.name.rsplit("-", 1)[0] for p in HISTORIES}
    assert {"approve_path", "reject_and_rework", "parallel_and_claim", "incidents"} <= names
    assert {"continue_as_new", "timers", "past_due_timers"} <= names
    assert {"approval_steps", "approval_actions"} <= names
    assert {"instance_actions", "deadlines"} <= names
    assert {"ai_advise", "ai_decide", "ai_fallback", "ai_route"} <= names
    assert {"ai_service", "ocr_service", "ai_shadow"} <= names
    assert {"notify_defaults", "decision_limits", "incident_actions", "ai_heartbeats"} <= names
    assert {"priority", "next_due"} <= names
    assert {"scopes", "errors", "gateways", "scope_timers", "calls", "loops"} <= names
    assert {"compensation", "scripts", "business_rules", "messages", "multi_instance"} <= names
    assert {"listeners", "multi_receive"} <= names
    # Recorded by the interpreter before multi-instance activities were compensated per
    # instance (``record.py``'s ``multi_compensation`` run on that commit): it replays through
    # the ``workflow.patched`` guard, one handler per body as it ran then.
    assert {"multi_compensation", "multi_compensation_before_patch"} <= names
    # The same for standard loops (each completed run compensated, ``loop_compensation``).
    assert {"loop_compensation", "loop_compensation_before_patch"} <= names
    # And for retrying an output-mapping incident (``completion_retry``: the mappings again, not
    # the activity, since the patch; the inside and a new child before it).
    assert {"completion_retry", "completion_retry_before_patch"} <= names
    # And for a task's notices reading its scope (``notify_scoped``: the instance's own watcher
    # told since the patch; nobody before it, the rule failing on the local variable).
    assert {"notify_scoped", "notify_scoped_before_patch"} <= names


def _recorded_workflow_id(text: str, default: str) -> str:
    """A caller's histories name its children ``<caller id>.<node id>.<n>``
    (``workflows/calls.py``): replay under the recorded id, or the ids would not match."""
    found = WorkflowHistory.from_json(default, text)
    for event in found.events:
        if event.event_type == EventType.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED:
            child_id = event.start_child_workflow_execution_initiated_event_attributes.workflow_id
            return child_id.rsplit(".", 2)[0]
    return default


@pytest.mark.parametrize("path", HISTORIES, ids=lambda p: p.stem)
async def test_history_replays_without_nondeterminism(path: Path) -> None:
    text = await asyncio.to_thread(path.read_text)
    history = WorkflowHistory.from_json(_recorded_workflow_id(text, path.stem), text)
    # With the production converter, encryption on: recorded histories are plain JSON, and the
    # codec passes what it did not encrypt untouched, so instances from before encryption replay.
    converter = data_converter_for(KeyRing.parse(new_key_entry("replay")))
    replayer = Replayer(workflows=[Interpreter, Mailbox, Broadcast], data_converter=converter)
    result = await replayer.replay_workflow(history, raise_on_replay_failure=True)
    assert result.replay_failure is None


async def test_priority_history_schedules_activities_at_the_instance_priority() -> None:
    """high at the start, urgent after the manager's change; archiving keeps Temporal's default."""
    path = Path(__file__).parent / "priority-1.json"
    history = WorkflowHistory.from_json(path.stem, await asyncio.to_thread(path.read_text))
    keys = [
        (
            e.activity_task_scheduled_event_attributes.activity_type.name,
            e.activity_task_scheduled_event_attributes.priority.priority_key,
        )
        for e in history.events
        if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
    ]
    assert keys == [("score", 2), ("notify", 2), ("notify", 1), ("shenpi-archive", 0)]


async def test_next_due_history_publishes_the_due_date_then_unsets_it() -> None:
    """The manager's step is due in 3 days (published with the actors); the finance step after it
    has no due date (unset)."""
    path = Path(__file__).parent / "next_due-1.json"
    history = WorkflowHistory.from_json(path.stem, await asyncio.to_thread(path.read_text))
    published = [
        e.upsert_workflow_search_attributes_event_attributes.search_attributes.indexed_fields[
            "ShenpiNextDue"
        ].data
        for e in history.events
        if e.event_type == EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES
        and "ShenpiNextDue"
        in e.upsert_workflow_search_attributes_event_attributes.search_attributes.indexed_fields
    ]
    assert len(published) == 2 and published[1] == b""
    started = history.events[0].event_time.ToDatetime(tzinfo=UTC)
    due = datetime.fromisoformat(json.loads(published[0]))
    assert timedelta(days=3) <= due - started < timedelta(days=3, minutes=1)
