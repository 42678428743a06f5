"""Time on approval tasks (``ApprovalSpec``): due dates, reminders and what happens at the due time.

``dueIn`` sets ``due_at`` on each task (the inbox shows it). Reminders go at ``created_at + k ×
remind_every`` for k = 1..``remind_max``, strictly before the due time (``notify`` with
``event=task_reminder``, ``reminders_sent`` counts them, timeline ``reminded``). At the due time:
``approve``/``reject`` decide as ``system:timeout``, ``escalate`` reassigns the task to
``escalate_to`` (default: the approver's manager, from the directory), ``none`` records
``overdue``.

Each open task with a deadline has one watcher: a coroutine sleeping on a durable timer until its
next event. Everything a watcher needs is derived from the task and the timeline, so ``sync``
(called by the main loop after every step) starts watchers for new tasks, stops those of closed
tasks, and after continue-as-new or a worker restart rebuilds them all from state, losing nothing.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, Literal, assert_never

import isodate
from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError

from shenpi_core.contracts import (
    ACTIVITY_DIRECTORY,
    DecisionInput,
    DirectoryResolveInput,
    DirectoryResolveResult,
    TaskView,
)
from shenpi_core.expressions import ExpressionError, uses_directory
from shenpi_core.process_plan import ApprovalSpec, UserTask
from workflows import decisions, ops_metrics, signers
from workflows.engine import Engine
from workflows.notices import Notifier, recipients
from workflows.services import failure_message
from workflows.tasks import resolve_actors

TIMEOUT_ACTOR = "system:timeout"
DUE_EVENTS = ("overdue", "escalated", "escalation_failed")  # the due time was dealt with
DIRECTORY_TIMEOUT = timedelta(seconds=10)
DIRECTORY_RETRY = RetryPolicy(maximum_attempts=5)
# The escalation default: the manager of the approver (bound to ``approver``).
MANAGER_OF_APPROVER: dict[str, Any] = {"call": "manager", "args": [{"var": ["approver"]}]}

Event = Literal["remind", "due"]


def spec_of(engine: Engine, task: TaskView) -> ApprovalSpec | None:
    node = engine.index.node(task.node_id)
    if task.kind != "approval" or not isinstance(node, UserTask) or node.approval is None:
        return None
    spec = node.approval
    return spec if _seconds(spec.due_in, spec.due_in_seconds) is not None else None


def due_of(task: TaskView, spec: ApprovalSpec) -> datetime | None:
    seconds = _seconds(spec.due_in, spec.due_in_seconds)
    return None if seconds is None else task.created_at + timedelta(seconds=seconds)


def next_event(
    task: TaskView, spec: ApprovalSpec, due_handled: bool
) -> tuple[datetime, Event] | None:
    """The next thing due on ``task``: a reminder before the due time, or the due time itself."""
    due = due_of(task, spec)
    every = _seconds(spec.remind_every, spec.remind_every_seconds)
    if every and not task.escalated and task.reminders_sent < spec.remind_max:
        remind_at = task.created_at + timedelta(seconds=every * (task.reminders_sent + 1))
        if due is None or remind_at < due:
            return remind_at, "remind"
    if due is not None and not due_handled:
        return due, "due"
    return None


class Deadlines:
    """The watchers of one instance's open tasks."""

    def __init__(
        self,
        engine: Engine,
        notifier: Notifier,
        on_change: Callable[[], None],
        on_crash: Callable[[BaseException], None],
    ) -> None:
        self._engine = engine
        self._notifier = notifier
        self._on_change = on_change
        self._on_crash = on_crash
        self._watchers: dict[str, asyncio.Task[None]] = {}
        self._busy = 0  # watchers in an escalation lookup (an activity)

    @property
    def idle(self) -> bool:
        """No escalation lookup in flight (continue-as-new waits for it)."""
        return self._busy == 0

    def sync(self) -> None:
        """Show due dates, watch new tasks with a deadline, stop watching closed ones."""
        engine = self._engine
        for task_id in [t for t in self._watchers if not _is_open(engine, t)]:
            self._watchers.pop(task_id).cancel()
        for task in engine.book.open_tasks():
            spec = spec_of(engine, task)
            if spec is None or task.task_id in self._watchers:
                continue
            due = due_of(task, spec)
            if due is not None and (task.due_at is None or due < task.due_at):
                engine.book.set_due(task, due)
            self._watchers[task.task_id] = asyncio.create_task(self._guard(task.task_id))

    async def _guard(self, task_id: str) -> None:
        try:
            await self._watch(task_id)
        except asyncio.CancelledError:
            raise  # the task closed: nobody waits for its deadline anymore
        except Exception as err:  # a bug, not a business failure: fail the workflow task
            self._on_crash(err)
            self._on_change()

    async def _watch(self, task_id: str) -> None:
        engine = self._engine
        while True:
            task = engine.book.get(task_id)
            spec = spec_of(engine, task) if task is not None else None
            if task is None or spec is None or task.status != "open":
                return
            upcoming = next_event(task, spec, self._due_handled(task))
            if upcoming is None:
                return
            at, event = upcoming
            delay = (at - workflow.now()).total_seconds()
            if delay > 0:  # a durable timer: survives worker and server restarts
                await workflow.sleep(delay, summary=f"{event} {task_id}")
            if task.status != "open":
                return
            if event == "remind":
                self._remind(task)
            else:
                await self._due(task, spec)
            self._on_change()

    def _due_handled(self, task: TaskView) -> bool:
        return any(
            e.task_id == task.task_id and e.event in DUE_EVENTS for e in self._engine.state.timeline
        )

    def _remind(self, task: TaskView) -> None:
        self._engine.book.reminded(task)
        to = recipients(task)
        self._engine.record(
            "reminded",
            task.node_id,
            task_id=task.task_id,
            details={"to": to, "reminder": task.reminders_sent},
        )
        self._notifier.send("task_reminder", to, [task], reminder=task.reminders_sent)
        ops_metrics.count(self._engine, ops_metrics.REMINDERS_SENT, task.node_id)

    async def _due(self, task: TaskView, spec: ApprovalSpec) -> None:
        engine = self._engine
        ops_metrics.count(
            engine, ops_metrics.SLA_BREACHES, task.node_id, on_timeout=spec.on_timeout
        )
        match spec.on_timeout:
            case "approve" | "reject":
                action: Literal["approve", "reject"] = (
                    "approve" if spec.on_timeout == "approve" else "reject"
                )
                if task.delegated_to is not None:  # the delegation lapses with the task
                    engine.book.end_delegation(task)
                decision = DecisionInput(
                    task_id=task.task_id, action=action, actor=TIMEOUT_ACTOR, comment="timed out"
                )
                decisions.apply_to(engine, task, decision, {"timeout": "true"})
            case "escalate":
                self._busy += 1
                try:
                    await self._escalate(task, spec)
                finally:
                    self._busy -= 1
            case "none":
                engine.record("overdue", task.node_id, task_id=task.task_id, actor=TIMEOUT_ACTOR)
            case _:
                assert_never(spec.on_timeout)

    async def _escalate(self, task: TaskView, spec: ApprovalSpec) -> None:
        engine = self._engine
        # A delegated task escalates from its owner: the delegate only helps them.
        approver = task.owner if task.delegated_to else (task.claimed_by or task.assignee)
        try:
            targets = await self._escalation_targets(task, spec, approver)
        except ActivityError as err:
            targets, problem = [], failure_message(err)
        except ExpressionError as err:
            targets, problem = [], err.message
        else:
            problem = "no one to escalate to"
        if task.status != "open":
            return  # decided while the directory answered
        target = next((t for t in targets if t != approver), None)
        if target is None:
            engine.record(
                "escalation_failed",
                task.node_id,
                task_id=task.task_id,
                actor=TIMEOUT_ACTOR,
                details={"message": problem, "from": approver or ""},
            )
            ops_metrics.count(engine, ops_metrics.ESCALATIONS, task.node_id, outcome="failed")
            return
        step = signers.step_of(engine, task)
        if step is None or target not in step.approvers:  # never list one approver twice
            signers.replace_approver(engine, task, approver, target)
        engine.book.escalate(task, target)
        engine.record(
            "escalated",
            task.node_id,
            task_id=task.task_id,
            actor=TIMEOUT_ACTOR,
            details={"from": approver or "", "to": target},
        )
        ops_metrics.count(engine, ops_metrics.ESCALATIONS, task.node_id, outcome="escalated")
        to = [target, *([approver] if approver else [])]
        self._notifier.send("task_escalated", to, [task], escalated_from=approver, to_user=target)

    async def _escalation_targets(
        self, task: TaskView, spec: ApprovalSpec, approver: str | None
    ) -> list[str]:
        """``escalate_to`` (evaluated here, or in the directory activity), else the manager."""
        scope = {**self._engine.task_view(task), "approver": approver}
        if spec.escalate_to is not None and not uses_directory(spec.escalate_to.ast):
            return resolve_actors(spec.escalate_to, scope)
        if spec.escalate_to is None and approver is None:
            return []  # an unclaimed group task has no one whose manager to ask
        ast = spec.escalate_to.ast if spec.escalate_to is not None else MANAGER_OF_APPROVER
        result: DirectoryResolveResult = await workflow.execute_activity(
            ACTIVITY_DIRECTORY,
            DirectoryResolveInput(ast=ast, variables=scope),
            result_type=DirectoryResolveResult,
            start_to_close_timeout=DIRECTORY_TIMEOUT,
            schedule_to_close_timeout=DIRECTORY_TIMEOUT * 12,
            retry_policy=DIRECTORY_RETRY,
            summary="escalation: directory lookup",
        )
        return result.values


def _is_open(engine: Engine, task_id: str) -> bool:
    task = engine.book.get(task_id)
    return task is not None and task.status == "open"


def _seconds(text: str | None, seconds: float | None) -> float | None:
    """The compiler resolves durations; a plan built elsewhere may carry only the ISO text."""
    if seconds is not None or not text:
        return seconds
    try:
        parsed = isodate.parse_duration(text)
    except (isodate.ISO8601Error, ValueError):
        return None  # the compiler reports bad durations; a hand-built plan just has no deadline
    if not isinstance(parsed, timedelta):
        parsed = (datetime(2000, 1, 1) + parsed) - datetime(2000, 1, 1)
    return float(parsed.total_seconds())
