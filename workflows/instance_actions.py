"""Instance actions (``UPDATE_INSTANCE_ACTION``): withdraw (撤回), cancel (撤销) and urge (催办).

``check`` runs in the update validator and again in the handler (a validator does not run on
replay, and two updates validated in one activation must not both apply), so it only reads state.
A refused action leaves no trace in history. The rate limit of urge is measured from the last
``urged`` entry of the timeline, so it survives continue-as-new and replays exactly.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import assert_never

from shenpi_core.contracts import (
    ErrorType,
    InstanceActionInput,
    InstanceActionResult,
    TaskView,
    TimelineEvent,
)
from workflows.machine import TokenMachine
from workflows.notices import Notifier, recipients
from workflows.refusals import refuse

DEFAULT_URGE_INTERVAL = timedelta(seconds=600)
SYSTEM_PREFIX = "system:"  # actors like system:timeout act for nobody: they do not block withdraw


def check(engine: TokenMachine, action: InstanceActionInput, urge_interval: timedelta) -> None:
    """Raise the typed ApplicationError of a refused action (the API maps it to an HTTP code)."""
    if engine.finished:
        raise refuse(ErrorType.INSTANCE_CLOSED, f"instance is {engine.state.status}")
    initiator = engine.state.initiator
    match action.action:
        case "withdraw":
            if action.actor != initiator:
                raise refuse(ErrorType.NOT_INITIATOR, "only the initiator may withdraw")
            acted = acted_on_current_step(engine)
            if acted:
                raise refuse(ErrorType.ALREADY_ACTED, f"{acted} already acted on the current step")
        case "cancel":
            if action.actor != initiator and not action.is_admin:
                raise refuse(ErrorType.NOT_ALLOWED, "only the initiator or an admin may cancel")
        case "urge":
            if action.actor != initiator:
                raise refuse(ErrorType.NOT_INITIATOR, "only the initiator may urge")
            if not engine.book.open_tasks():
                raise refuse(ErrorType.ILLEGAL_ACTION, "no open task to urge")
            last = last_urge(engine)
            if last is not None and engine.now() - last < urge_interval:
                wait = max(1, math.ceil((urge_interval - (engine.now() - last)).total_seconds()))
                raise refuse(
                    ErrorType.RATE_LIMITED,
                    f"urged at {last.isoformat()}; next urge in {wait} s",
                    {"retry_after_seconds": wait},  # the API's Retry-After
                )
        case _:
            assert_never(action.action)


def apply(
    engine: TokenMachine,
    action: InstanceActionInput,
    urge_interval: timedelta,
    notifier: Notifier,
) -> InstanceActionResult:
    """Apply a valid action (re-checked here); withdraw and cancel end the instance at once."""
    check(engine, action, urge_interval)
    notified: list[str] = []
    match action.action:
        case "withdraw":
            _end(engine, action, event="withdrawn", outcome="withdrawn", status="completed")
        case "cancel":
            _end(engine, action, event="cancelled", outcome="cancelled", status="cancelled")
        case "urge":
            tasks = engine.book.open_tasks()
            for task in tasks:
                notified.extend(r for r in recipients(task) if r not in notified)
            engine.record(
                "urged",
                actor=action.actor,
                comment=action.comment,
                details={"to": notified, "task_ids": [t.task_id for t in tasks]},
            )
            notifier.send("urge", notified, tasks, comment=action.comment)
        case _:
            assert_never(action.action)
    return InstanceActionResult(
        accepted=True, instance_status=engine.state.status, notified=notified
    )


def acted_on_current_step(engine: TokenMachine) -> str | None:
    """Who acted on a step that is still open (None: nobody), by the timeline's actors.

    The tasks of one step share ``step_id``; a plain task is its own step. Any entry with a
    person as actor counts (a claim, a transfer or an approval on a parallel task alike).
    """
    current = _current_step_tasks(engine.book.tasks, engine.book.open_tasks())
    for entry in engine.state.timeline:
        if entry.task_id in current and entry.actor and not entry.actor.startswith(SYSTEM_PREFIX):
            return entry.actor
    return None


def last_urge(engine: TokenMachine) -> datetime | None:
    return next((e.at for e in reversed(engine.state.timeline) if e.event == "urged"), None)


def _current_step_tasks(tasks: list[TaskView], open_tasks: list[TaskView]) -> set[str]:
    steps = {t.step_id for t in open_tasks if t.step_id}
    ids = {t.task_id for t in open_tasks}
    ids.update(t.task_id for t in tasks if t.step_id is not None and t.step_id in steps)
    return ids


def _end(
    engine: TokenMachine,
    action: InstanceActionInput,
    *,
    event: TimelineEvent,
    outcome: str,
    status: str,
) -> None:
    engine.record(event, actor=action.actor, comment=action.comment, details={"outcome": outcome})
    engine.end_all(outcome)
    for task in engine.book.open_tasks():  # tasks no token holds (e.g. other tasks of a step)
        engine.book.close(task, "cancelled", outcome, engine.now())
        engine.record("task_cancelled", task.node_id, task_id=task.task_id, comment=outcome)
    engine.state.outcome = outcome
    engine.state.status = "cancelled" if status == "cancelled" else "completed"
