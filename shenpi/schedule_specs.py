"""When a timer start fires: its ``TimerSpec`` as the spec of a Temporal Schedule.

Pure (the deploy time comes in), so every timer kind is tested without a server; ``schedules``
creates the Schedule. The rules are Zeebe's for timer start events (docs/interpreter.md "Timer
starts"): a date fires once then, a duration once that long after the deploy, a cycle
``R<n>/<interval>`` one interval after the deploy and every interval after that (``n`` times at
most), ``R<n>/<start>/<interval>`` at its start and every interval after that, a cron cycle at
each time it names.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from temporalio.client import (
    ScheduleCalendarSpec,
    ScheduleIntervalSpec,
    ScheduleRange,
    ScheduleSpec,
)

from shenpi_core.process_plan import TimerSpec

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class TimerStartError(ValueError):
    """A timer start that cannot become a Schedule (an expression: no instance to evaluate it)."""


@dataclass(frozen=True)
class Timing:
    spec: ScheduleSpec
    # How many starts are left (None: unbounded); 0 means every occurrence has passed already.
    remaining: int | None


def timing(timer: TimerSpec, *, deployed_at: datetime, time_zone: str = "UTC") -> Timing:
    """The Schedule spec of a process's timer start deployed at ``deployed_at``.

    ``time_zone`` is the one cron cycles are read in; dates carry their own offset, and
    durations and intervals count from the deploy."""
    if timer.expression is not None:
        raise TimerStartError(
            "a timer start needs a literal date, duration or cycle: an expression has no"
            " instance to take its variables from"
        )
    # Whole seconds: Temporal computes schedule times to the second.
    now = deployed_at.astimezone(UTC).replace(microsecond=0)
    if timer.cron is not None:
        return Timing(ScheduleSpec(cron_expressions=[timer.cron], time_zone_name=time_zone), None)
    if timer.kind == "date" and timer.value is not None:
        return _once(datetime.fromisoformat(timer.value), now)
    if timer.seconds is None:
        raise TimerStartError(f"the {timer.kind} timer {timer.value!r} has no resolved length")
    every = timedelta(seconds=timer.seconds)
    if timer.kind == "duration":
        return _once(now + every, now)
    start = datetime.fromisoformat(timer.start) if timer.start is not None else now + every
    return _cycle(start.astimezone(UTC), every, timer.repeat, now)


def _once(at: datetime, now: datetime) -> Timing:
    at = at.astimezone(UTC)
    calendar = ScheduleCalendarSpec(
        second=(ScheduleRange(at.second),),
        minute=(ScheduleRange(at.minute),),
        hour=(ScheduleRange(at.hour),),
        day_of_month=(ScheduleRange(at.day),),
        month=(ScheduleRange(at.month),),
        year=(ScheduleRange(at.year),),
    )
    # A date that has passed leaves nothing to fire (Temporal never runs times before the
    # Schedule existed); the deploy says so in a warning.
    return Timing(ScheduleSpec(calendars=[calendar]), 1 if at > now else 0)


def _cycle(start: datetime, every: timedelta, repeat: int | None, now: datetime) -> Timing:
    # Interval times are counted from the Unix epoch: the offset puts one on ``start``.
    interval = ScheduleIntervalSpec(every=every, offset=(start - _EPOCH) % every)
    end = start + every * (repeat - 1) if repeat is not None else None
    spec = ScheduleSpec(intervals=[interval], start_at=start, end_at=end)
    if repeat is None:
        return Timing(spec, None)
    # Occurrences of a dated cycle before the deploy are gone, as with a date.
    passed = max(0, math.ceil((now - start) / every)) if now > start else 0
    return Timing(spec, max(0, repeat - passed))
