"""Temporal Schedules for the timer starts of deployed processes (docs/interpreter.md "Timer
starts").

Each timer start event of a process is one Schedule, ``shenpi-start:<process id>:<node id>``
(BPMN ids are XML names and hold no colon), whose action starts the interpreter at that event
with the deployed version's plan, as ``shenpi.starting`` starts every instance. A deploy syncs
them before its version is committed: the new version's Schedules are created or replaced, those
of the version it replaces that it no longer has are deleted. If Temporal refuses one, the
Schedules already changed are put back and the deploy fails, so a deploy is never half done.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from temporalio.client import (
    Client,
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleAlreadyRunningError,
    ScheduleOverlapPolicy,
    SchedulePolicy,
    ScheduleState,
    ScheduleUpdate,
    ScheduleUpdateInput,
)
from temporalio.service import RPCError, RPCStatusCode

from bpmn_compiler.diagnostics import CompileError, Diagnostic
from shenpi.db.models import Definition
from shenpi.db.repository import load_plan
from shenpi.schedule_specs import TimerStartError, timing
from shenpi.settings import Settings
from shenpi.starting import instance_start
from shenpi_core.process_plan import ProcessPlan, StartEvent, TimerSpec

log = logging.getLogger(__name__)

SCHEDULE_PREFIX = "shenpi-start"
# Missed times are still started after an outage of up to a day (a monthly request is late, not
# lost); past that, they are dropped: a week of minutely cycles is not a week of approvals.
CATCHUP_WINDOW = timedelta(days=1)

Undo = Callable[[], Awaitable[Any]]


def schedule_id(process_id: str, node_id: str) -> str:
    return f"{SCHEDULE_PREFIX}:{process_id}:{node_id}"


def timer_starts(plan: ProcessPlan) -> list[tuple[StartEvent, TimerSpec]]:
    """The process's own timer start events (not those of its event subprocesses)."""
    return [
        (n, n.timer)
        for n in plan.nodes
        if isinstance(n, StartEvent) and n.timer is not None and n.parent is None
    ]


def build_schedule(
    plan: ProcessPlan,
    version: int,
    node: StartEvent,
    timer: TimerSpec,
    settings: Settings,
    *,
    now: datetime,
) -> tuple[Schedule, int | None]:
    """The Schedule of one timer start, and how many starts it has left (None: unbounded)."""
    when = timing(timer, deployed_at=now, time_zone=settings.schedule_time_zone)
    start = instance_start(
        plan,
        version,
        variables={},
        initiator=settings.schedule_initiator,
        settings=settings,
        start_event=node.id,
    )
    options = start.options(settings)
    # A Schedule's action names them differently from Client.start_workflow.
    options["typed_search_attributes"] = options.pop("search_attributes")
    action = ScheduleActionStartWorkflow(
        start.workflow_type,
        start.arg,
        # Temporal appends the scheduled time: `<process id>:<node id>-2026-06-01T01:00:00Z`.
        id=f"{plan.process_id}:{node.id}",
        **options,
    )
    state = ScheduleState(
        note=f"{plan.process_id} v{version}, timer start {node.id}",
        limited_actions=when.remaining is not None,
        remaining_actions=when.remaining or 0,
    )
    policy = SchedulePolicy(overlap=ScheduleOverlapPolicy.ALLOW_ALL, catchup_window=CATCHUP_WINDOW)
    return Schedule(action=action, spec=when.spec, policy=policy, state=state), when.remaining


async def sync_schedules(
    client: Client,
    settings: Settings,
    plan: ProcessPlan,
    version: int,
    previous: ProcessPlan | None,
    *,
    now: datetime,
) -> list[Diagnostic]:
    """Make the Schedules of ``plan``'s process those of ``version``; returns warnings.

    Raises ``CompileError`` naming the start event when Temporal refuses its Schedule (other
    Temporal errors propagate), after undoing what this call changed."""
    undo: list[Undo] = []
    warnings: list[Diagnostic] = []
    wanted: set[str] = set()
    before = timer_starts(previous) if previous is not None else []
    try:
        for node, timer in timer_starts(plan):
            try:
                schedule, remaining = build_schedule(plan, version, node, timer, settings, now=now)
            except TimerStartError as err:
                raise _refused(node, str(err)) from None
            if remaining == 0:
                warnings.append(_never_fires(node, timer))
                continue  # and the Schedule of an earlier version, if any, goes below
            wanted.add(schedule_id(plan.process_id, node.id))
            try:
                undo.append(await _put(client, schedule_id(plan.process_id, node.id), schedule))
            except RPCError as err:
                if err.status != RPCStatusCode.INVALID_ARGUMENT:
                    raise
                raise _refused(node, f"Temporal refused its schedule: {err.message}") from err
        # Deleted last: a deletion cannot be undone, a create or replace can.
        stale = {schedule_id(plan.process_id, node.id) for node, _ in before}
        for sid in sorted(stale - wanted):
            await _delete(client, sid)
    except BaseException:
        await _undo(undo)
        raise
    return warnings


def on_deploy(
    client: Client, settings: Settings, plan: ProcessPlan
) -> Callable[[Definition, Definition | None], Awaitable[None]]:
    """The step a deploy runs before committing ``stored``, the version after ``replaced``."""

    async def sync(stored: Definition, replaced: Definition | None) -> None:
        previous = load_plan(replaced) if replaced is not None else None
        now = datetime.now(UTC)
        warnings = await sync_schedules(client, settings, plan, stored.version, previous, now=now)
        if warnings:
            stored.warnings = [*stored.warnings, *(w.model_dump(mode="json") for w in warnings)]

    return sync


async def _put(client: Client, sid: str, schedule: Schedule) -> Undo:
    """Create or replace one Schedule; returns how to undo that."""
    try:
        handle = await client.create_schedule(sid, schedule)
    except ScheduleAlreadyRunningError:
        pass
    else:
        return handle.delete
    handle = client.get_schedule_handle(sid)
    before: list[Schedule] = []

    def replaced(current: ScheduleUpdateInput) -> ScheduleUpdate:
        old = current.description.schedule
        before.append(old)
        # An operator's pause (Temporal UI) holds across redeploys; the rest is the new version's.
        state = schedule.state
        if old.state.paused:
            state = replace(state, paused=True, note=old.state.note)
        return ScheduleUpdate(schedule=replace(schedule, state=state))

    await handle.update(replaced)
    return lambda: handle.update(lambda _: ScheduleUpdate(schedule=before[0]))


async def _delete(client: Client, sid: str) -> None:
    try:
        await client.get_schedule_handle(sid).delete()
    except RPCError as err:
        if err.status != RPCStatusCode.NOT_FOUND:  # deleted by hand, or never created
            raise


async def _undo(steps: list[Undo]) -> None:
    for step in reversed(steps):
        try:
            await step()
        except Exception:  # Temporal unreachable: the deploy's own error is the one to report
            log.exception("could not undo a schedule change of a failed deploy")


def _refused(node: StartEvent, message: str) -> CompileError:
    return CompileError(
        [Diagnostic(code="timer-schedule", message=message, element_id=node.id, line=node.line)]
    )


def _never_fires(node: StartEvent, timer: TimerSpec) -> Diagnostic:
    return Diagnostic(
        code="timer-passed",
        message=f"timer {timer.value!r} has passed: it never starts an instance",
        element_id=node.id,
        line=node.line,
        severity="warning",
    )
