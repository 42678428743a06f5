"""With default notifications on, the interpreter stays within 1.25× the history events of a
hand-written workflow that sends the same two notifications (one activity per wake-up)."""

from __future__ import annotations

import uuid
from typing import Any

from temporalio.client import Client, WorkflowHandle
from temporalio.common import SearchAttributePair, TypedSearchAttributes
from temporalio.worker import Worker

from shenpi import search_attributes as sa
from tests.helpers import assert_eventually
from tests.workflows.approval_support import fake_archive
from tests.workflows.notify_handwritten import HandwrittenNotifiedTask
from tests.workflows.notify_support import DEFAULTS, RecordingNotify, notify_worker
from tests.workflows.support import decide, event_types, history_length, open_task, plan, score
from workflows.contracts import MEMO_PROCESS_ID, StartInput


async def test_default_notifications_keep_the_history_within_budget(
    client: Client, task_queue: str
) -> None:
    process = plan("service_task")  # score (activity) → approve (user task) → end
    start = StartInput(
        plan=process, version=1, variables={"amount": 5}, initiator="ida", notify_events=DEFAULTS
    )
    recorder = RecordingNotify()
    async with notify_worker(client, task_queue, recorder):
        interpreted = await client.start_workflow(
            process.process_id,
            start,
            id=f"budget-notify-{uuid.uuid4().hex[:8]}",
            task_queue=task_queue,
            search_attributes=TypedSearchAttributes(
                [
                    SearchAttributePair(sa.VERSION, f"{process.process_id}:1"),
                    SearchAttributePair(sa.STATUS, "running"),
                    SearchAttributePair(sa.INITIATOR, "ida"),
                ]
            ),
            memo={MEMO_PROCESS_ID: process.process_id},
        )
        await decide(interpreted, await open_task(interpreted, "approve"), "approve", "alice")
        await interpreted.result()
    assert recorder.events(interpreted) == ["task_opened", "outcome"]

    queue = f"{task_queue}-handwritten"
    async with Worker(
        client,
        task_queue=queue,
        workflows=[HandwrittenNotifiedTask],
        activities=[score, fake_archive, RecordingNotify().notify],
    ):
        handwritten = await client.start_workflow(
            HandwrittenNotifiedTask.run,
            start,
            id=f"budget-notify-hw-{uuid.uuid4().hex[:8]}",
            task_queue=queue,
        )
        await assert_eventually(lambda: _waits_for_decision(handwritten))
        await decide(handwritten, "approve-1", "approve", "alice")
        assert await handwritten.result() == "approved"

    interpreter_events = await history_length(interpreted)
    handwritten_events = await history_length(handwritten)
    print(f"history events: interpreter {interpreter_events}, hand-written {handwritten_events}")
    assert interpreter_events <= 1.25 * handwritten_events, (interpreter_events, handwritten_events)


async def _waits_for_decision(handle: WorkflowHandle[Any, Any]) -> None:
    types = await event_types(handle)
    assert types.count("EVENT_TYPE_ACTIVITY_TASK_COMPLETED") == 2  # score, then the notice
    assert types[-1] == "EVENT_TYPE_WORKFLOW_TASK_COMPLETED"
