"""Notifications the interpreter sends on its own: opened tasks, outcomes, reminders, urges (催办)
and escalations.

They go through the shipped ``notify`` activity (``ServiceTaskInput`` with ``config["event"]``), so
one webhook or WeChat sender serves drawn notify tasks and these alike. A notification never
blocks the process: it runs as a background task with bounded retries, and whom it could not reach
is written to the timeline (``notify_failed``, one entry per person) rather than retried forever.
Which events go to whom beyond reminders, urges and escalations: ``notify_rules``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError

from shenpi_core.contracts import ServiceTaskInput, TaskView
from workflows.machine import TokenMachine
from workflows.notify_rules import Audience, NoticeRules, recipients
from workflows.priority import activity_priority

__all__ = [
    "NOTIFY_ACTIVITY",
    "Notifier",
    "recipients",
    "record_failures",
    "rejected_result",
    "task_summary",
]

NOTIFY_ACTIVITY = "notify"
NOTIFY_TIMEOUT = timedelta(seconds=30)
# The activity heartbeats every second (activities/heartbeat.py): a dead worker's attempt is
# retried after this, with what it delivered kept in its heartbeat details.
NOTIFY_HEARTBEAT_TIMEOUT = timedelta(seconds=10)
NOTIFY_RETRY = RetryPolicy(maximum_attempts=5, maximum_interval=timedelta(minutes=1))
REJECTED = "NotificationRejected"  # the notify activity reached nobody and someone failed for good


def task_summary(task: TaskView) -> dict[str, Any]:
    """Ids and dates only: a notification payload carries no request content."""
    summary = {
        "task_id": task.task_id,
        "ref": task.ref,
        "node_id": task.node_id,
        "name": task.name,
        "due_at": task.due_at.isoformat() if task.due_at else None,
    }
    if task.kind != "approval":  # a resubmit task: no decision buttons (approval tasks as before)
        summary["kind"] = task.kind
    return summary


class Notifier:
    """Sends notifications for one instance; keeps its background tasks alive until they end."""

    def __init__(
        self,
        engine: TokenMachine,
        on_change: Callable[[], None],
        on_crash: Callable[[BaseException], None],
        defaults: Sequence[str] | None = None,
    ) -> None:
        self._engine = engine
        self._on_change = on_change
        self._on_crash = on_crash
        self._running: set[asyncio.Task[None]] = set()
        self._rules = NoticeRules(engine.index.plan, defaults)
        # Tasks of a resumed run were announced by the run before (it waited for its notices).
        self._announced = len(engine.book.tasks)
        self._assignees = _assignees(engine)  # of the open tasks, as last announced

    def send(self, event: str, to: Sequence[str], tasks: Sequence[TaskView], **extra: Any) -> None:
        """Start the ``notify`` activity for ``event`` to ``to`` about ``tasks``; do not wait."""
        if self._rules.active and tasks:  # <shenpi:notify> may name more people
            audience = self._rules.task_audience(
                event, tasks[0], to, self._engine.task_view(tasks[0])
            )
            self._record_errors(event, tasks[0], audience)
            to = audience.people
        self._start(event, to, [task_summary(t) for t in tasks], extra)

    def announce(self) -> None:
        """Tell people of the tasks opened (or handed over to them: a transfer, a delegation)
        since the last call, in one activity for them all."""
        engine = self._engine
        tasks = engine.book.tasks
        new = {t.task_id for t in tasks[self._announced :]}
        self._announced = len(tasks)
        if not self._rules.active:
            return
        summaries: list[dict[str, Any]] = []
        everyone: list[str] = []
        # Open tasks only: a skipped one, or one decided as it opened (AI, timeout), is not news.
        for task in engine.book.open_tasks():
            if task.task_id in new:
                audience = self._rules.task_audience(
                    "task_opened", task, (), engine.task_view(task)
                )
                self._record_errors("task_opened", task, audience)
            elif task.assignee != self._assignees.get(task.task_id) and not task.escalated:
                audience = self._rules.handed_over(task)  # escalations send their own notice
            else:
                continue
            if audience.people:
                # Each task's card goes to its own people only, though they share the activity.
                summaries.append({**task_summary(task), "to": audience.people})
                everyone += [p for p in audience.people if p not in everyone]
        self._assignees = _assignees(engine)
        if summaries:
            self._start("task_opened", everyone, summaries, {})

    async def finish(self) -> None:
        """The instance ended: tell who hears of the outcome, then wait for every notification,
        so that whom they missed is in the timeline that gets archived."""
        if not self._rules.active:
            return  # as before notification defaults existed: nothing to wait for
        state = self._engine.state
        audience = self._rules.outcome_audience(state)
        for error in audience.errors:
            self._engine.record("notify_failed", details={"event": "outcome", "error": error})
        if audience.people:
            self._start("outcome", audience.people, [], {"outcome": state.outcome})
        await workflow.wait_condition(lambda: self.idle)

    @property
    def idle(self) -> bool:
        """No notification in flight (continue-as-new waits for them, or they would be lost)."""
        return not self._running

    def _start(
        self, event: str, to: Sequence[str], tasks: list[dict[str, Any]], extra: dict[str, Any]
    ) -> None:
        engine = self._engine
        arg = ServiceTaskInput(
            instance_id=engine.workflow_id,
            node_id=str(tasks[0]["node_id"]) if tasks else "",
            process_id=engine.index.plan.process_id,
            config={"event": event, "to": ",".join(to)},
            variables={
                "event": event,
                "recipients": list(to),
                "tasks": tasks,
                "initiator": engine.state.initiator,
                **({"priority": engine.state.priority} if engine.state.priority else {}),
                **extra,
            },
        )
        task = asyncio.create_task(self._run(arg))
        self._running.add(task)
        task.add_done_callback(self._running.discard)

    def _record_errors(self, event: str, task: TaskView, audience: Audience) -> None:
        for error in audience.errors:
            self._engine.record(
                "notify_failed",
                task.node_id,
                task_id=task.task_id,
                details={"event": event, "error": error},
            )

    async def _run(self, arg: ServiceTaskInput) -> None:
        event = arg.config["event"]
        try:
            result = await workflow.execute_activity(
                NOTIFY_ACTIVITY,
                arg,
                start_to_close_timeout=NOTIFY_TIMEOUT,
                heartbeat_timeout=NOTIFY_HEARTBEAT_TIMEOUT,
                retry_policy=NOTIFY_RETRY,
                summary=f"notify {event}",
                priority=activity_priority(self._engine),
            )
        except ActivityError as err:
            if not record_failures(self._engine, event, arg.node_id, rejected_result(err)):
                self._engine.record(
                    "notify_failed",
                    arg.node_id or None,
                    details={"event": event, "message": str(err.cause or err)},
                )
        except asyncio.CancelledError:
            raise
        except Exception as err:  # a bug, not a business failure: fail the workflow task
            self._on_crash(err)
        else:
            record_failures(self._engine, event, arg.node_id, result)
        self._on_change()  # the main loop may be waiting for this to continue as new


def _assignees(engine: TokenMachine) -> dict[str, str | None]:
    return {t.task_id: t.assignee for t in engine.book.open_tasks()}


def rejected_result(err: ActivityError) -> Any:
    """The notify result a ``NotificationRejected`` failure carries (nobody reached), or None."""
    cause = err.cause
    if isinstance(cause, ApplicationError) and cause.type == REJECTED and cause.details:
        return cause.details[0]
    return None


def record_failures(engine: TokenMachine, event: str, node_id: str, result: Any) -> int:
    """One ``notify_failed`` per person the notify result lists as not reached; how many."""
    notify = result.get("notify") if isinstance(result, dict) else None
    failed = notify.get("failed") if isinstance(notify, dict) else None
    entries = [e for e in failed if isinstance(e, dict)] if isinstance(failed, list) else []
    for entry in entries:
        task_id = str(entry["task_id"]) if entry.get("task_id") else None
        task = engine.book.get(task_id) if task_id else None
        engine.record(
            "notify_failed",
            task.node_id if task is not None else node_id or None,
            task_id=task_id,
            details={
                "event": event,
                "to": str(entry.get("to", "")),
                "channel": str(entry.get("channel", "")),
                "error": str(entry.get("error", "")),
            },
        )
    return len(entries)
