"""Notifications the interpreter sends on its own: reminders, urges (催办) and escalations.

They go through the shipped ``notify`` activity (``ServiceTaskInput`` with ``config["event"]``), so
one webhook or WeChat sender serves drawn notify tasks and these alike. A notification never
blocks the process: it runs as a background task with bounded retries, and a final failure is
written to the timeline (``notify_failed``) rather than retried forever.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError

from workflows.contracts import ServiceTaskInput, TaskView
from workflows.machine import TokenMachine

NOTIFY_ACTIVITY = "notify"
NOTIFY_TIMEOUT = timedelta(seconds=30)
NOTIFY_RETRY = RetryPolicy(maximum_attempts=5, maximum_interval=timedelta(minutes=1))


def recipients(task: TaskView) -> list[str]:
    """Who a task waits on: claimer or assignee, else its candidates ("group:<g>" for groups)."""
    if task.claimed_by:
        return [task.claimed_by]
    if task.assignee:
        return [task.assignee]
    return [*task.candidate_users, *(f"group:{g}" for g in task.candidate_groups)]


def task_summary(task: TaskView) -> dict[str, Any]:
    """Ids and dates only: a notification payload carries no request content."""
    return {
        "task_id": task.task_id,
        "ref": task.ref,
        "node_id": task.node_id,
        "name": task.name,
        "due_at": task.due_at.isoformat() if task.due_at else None,
    }


class Notifier:
    """Sends notifications for one instance; keeps its background tasks alive until they end."""

    def __init__(
        self,
        engine: TokenMachine,
        on_change: Callable[[], None],
        on_crash: Callable[[BaseException], None],
    ) -> None:
        self._engine = engine
        self._on_change = on_change
        self._on_crash = on_crash
        self._running: set[asyncio.Task[None]] = set()

    def send(self, event: str, to: Sequence[str], tasks: Sequence[TaskView], **extra: Any) -> None:
        """Start the ``notify`` activity for ``event`` to ``to`` about ``tasks``; do not wait."""
        engine = self._engine
        arg = ServiceTaskInput(
            instance_id=engine.workflow_id,
            node_id=tasks[0].node_id if tasks else "",
            process_id=engine.index.plan.process_id,
            config={"event": event, "to": ",".join(to)},
            variables={
                "event": event,
                "recipients": list(to),
                "tasks": [task_summary(t) for t in tasks],
                "initiator": engine.state.initiator,
                **extra,
            },
        )
        task = asyncio.create_task(self._run(arg))
        self._running.add(task)
        task.add_done_callback(self._running.discard)

    @property
    def idle(self) -> bool:
        """No notification in flight (continue-as-new waits for them, or they would be lost)."""
        return not self._running

    async def _run(self, arg: ServiceTaskInput) -> None:
        try:
            await workflow.execute_activity(
                NOTIFY_ACTIVITY,
                arg,
                start_to_close_timeout=NOTIFY_TIMEOUT,
                retry_policy=NOTIFY_RETRY,
                summary=f"notify {arg.config['event']}",
            )
        except ActivityError as err:
            cause = err.cause or err
            self._engine.record(
                "notify_failed",
                arg.node_id or None,
                details={"event": arg.config["event"], "message": str(cause)},
            )
        except asyncio.CancelledError:
            raise
        except Exception as err:  # a bug, not a business failure: fail the workflow task
            self._on_crash(err)
        self._on_change()  # the main loop may be waiting for this to continue as new
