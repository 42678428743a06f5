"""History budget: the interpreter stays within 1.25× the events of a hand-written workflow."""

from __future__ import annotations

from temporalio.client import Client
from temporalio.worker import Worker

from shenpi_core.contracts import StartInput
from tests.workflows.approval_support import fake_archive
from tests.workflows.budget_support import assert_within_budget, run_handwritten, run_interpreted
from tests.workflows.handwritten import HandwrittenServiceTask
from tests.workflows.support import plan, score


async def test_interpreter_history_is_within_budget_of_a_hand_written_workflow(
    client: Client, worker: Worker, task_queue: str
) -> None:
    process = plan("service_task")  # score (activity) → approve (user task) → end
    start = StartInput(plan=process, version=1, variables={"amount": 5}, initiator="ida")

    interpreted = await run_interpreted(client, task_queue, start)
    handwritten = await run_handwritten(
        client,
        task_queue,
        HandwrittenServiceTask,
        [score, fake_archive],
        start,
        activities_before_decision=1,
    )

    await assert_within_budget(interpreted, handwritten)
