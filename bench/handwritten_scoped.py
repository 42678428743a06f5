"""The baseline of the second bench shape: ``scoped-shape.bpmn`` written by hand.

What a Temporal engineer writes for the same behaviour: the inclusive split is an ``if`` per
branch, its taken branches run their ``notify`` activities concurrently (``asyncio.gather``, which
is also the inclusive join: it returns once every taken branch has), and the review's SLA is a
durable timer raced against the decision (``wait_condition`` with a timeout: a timer started with
the task and cancelled when the decision comes first). The inbox contract (search attributes,
memo, the ``decide`` update and its validator, the archive) is ``InboxTask``'s, as in the plain
shape.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from temporalio import workflow

from bench.handwritten import InboxTask

with workflow.unsafe.imports_passed_through():
    from shenpi_core.contracts import StartInput

# The review subprocess's interrupting boundary timer (P3D in the BPMN file).
REVIEW_SLA = timedelta(days=3)


@workflow.defn(name="bench-handwritten-scoped")
class HandwrittenScoped(InboxTask):
    PROCESS_ID = "bench-handwritten-scoped"

    @workflow.run
    async def run(self, start: StartInput) -> dict[str, Any]:
        variables = start.variables
        # The split's conditions, in the BPMN file's order; none taken is its default flow.
        branches = [
            node_id
            for node_id, taken in (
                ("notify_finance", variables["amount"] > 1000),
                ("notify_legal", bool(variables["needs_legal"])),
                ("notify_it", bool(variables["needs_it"])),
            )
            if taken
        ]
        await asyncio.gather(*(self._notify(start, node_id) for node_id in branches))
        # No due date on the task: the interpreter takes it from the task's own boundary timers,
        # not from a timer on the subprocess around it, and the inbox shows the same either way.
        self._open_task(start)
        events = ["started", "subprocess_started", "task_opened"]
        try:
            await workflow.wait_condition(
                lambda: self._decision is not None,
                timeout=REVIEW_SLA,
                timeout_summary="review SLA",
            )
        except TimeoutError:
            # The SLA interrupts the review: the task is cancelled and the process ends. Nobody
            # decided, so the outcome is the interpreter's default for that (workflows/outcome.py).
            assert self._task is not None
            self._task.status = "cancelled"
            self._task.outcome = "timeout"
            return await self._finish(start, "approved", [*events, "task_cancelled"])
        action = self._decision.action if self._decision else "reject"
        outcome = "approved" if action == "approve" else "rejected"
        return await self._finish(start, outcome, [*events, outcome, "subprocess_completed"])
