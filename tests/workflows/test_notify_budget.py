"""With default notifications on, the interpreter stays within 1.25× the history events of a
hand-written workflow that sends the same two notifications (one activity per wake-up)."""

from __future__ import annotations

from temporalio.client import Client

from shenpi_core.contracts import StartInput
from tests.workflows.approval_support import fake_archive
from tests.workflows.budget_support import assert_within_budget, run_handwritten, run_interpreted
from tests.workflows.notify_handwritten import HandwrittenNotifiedTask
from tests.workflows.notify_support import DEFAULTS, RecordingNotify, notify_worker
from tests.workflows.support import plan, score


async def test_default_notifications_keep_the_history_within_budget(
    client: Client, task_queue: str
) -> None:
    process = plan("service_task")  # score (activity) → approve (user task) → end
    start = StartInput(
        plan=process, version=1, variables={"amount": 5}, initiator="ida", notify_events=DEFAULTS
    )
    recorder = RecordingNotify()
    async with notify_worker(client, task_queue, recorder):
        interpreted = await run_interpreted(client, task_queue, start)
    assert recorder.events(interpreted) == ["task_opened", "outcome"]

    handwritten = await run_handwritten(
        client,
        task_queue,
        HandwrittenNotifiedTask,
        [score, fake_archive, RecordingNotify().notify],
        start,
        activities_before_decision=2,  # score, then the notice
    )

    await assert_within_budget(interpreted, handwritten)
