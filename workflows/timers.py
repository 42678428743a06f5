"""When a BPMN timer fires: ISO-8601 durations, dates and cycles turned into due times.

Parsing the ISO *value* here is deterministic (same text, same ``now`` from ``workflow.now()``,
same answer); expressions were parsed at compile time and are only evaluated.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import isodate

from shenpi_core.expressions import evaluate
from shenpi_core.process_plan import TimerSpec


class TimerError(Exception):
    """The timer value is not valid ISO-8601 (or not supported); becomes an incident."""


@dataclass(frozen=True)
class Schedule:
    due_at: datetime
    remaining: int | None = 1  # occurrences left including this one; None = unbounded
    interval_seconds: float | None = None


def first_occurrence(spec: TimerSpec, now: datetime, variables: Mapping[str, Any]) -> Schedule:
    """The first due time of ``spec`` (a cycle's first occurrence, with how many remain)."""
    if spec.expression is None and spec.seconds is not None and _relative(spec):
        # Resolved by the compiler: no ISO text to read at run time.
        if spec.kind == "cycle" and spec.seconds > 0:
            return Schedule(now + timedelta(seconds=spec.seconds), spec.repeat, spec.seconds)
        return Schedule(now + timedelta(seconds=spec.seconds))
    value = _value(spec, variables)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return Schedule(now + timedelta(seconds=float(value)))  # a number is seconds
    if not isinstance(value, str) or not value.strip():
        raise TimerError(f"timer value {value!r} is not ISO-8601 text")
    text = value.strip()
    if spec.kind == "date":
        return Schedule(parse_date(text))
    if spec.kind == "cycle" or text.startswith("R"):
        return _cycle(text, now)
    return Schedule(now + _duration(text, now))


def next_occurrence(due_at: datetime, interval_seconds: float, now: datetime) -> datetime:
    """The next occurrence after ``now``: missed ones are skipped, never fired in a burst."""
    step = timedelta(seconds=interval_seconds)
    following = due_at + step
    if following <= now:
        following += step * ((now - following) // step + 1)
    return following


def parse_date(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as err:
        raise TimerError(f"timer date {text!r} is not ISO-8601: {err}") from None
    # A date without an offset is read as UTC: the workflow clock is UTC, and the server's local
    # zone is not something a process model should depend on.
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _relative(spec: TimerSpec) -> bool:
    """A duration, or a cycle counted from now (not one with its own start date)."""
    return spec.kind == "duration" or (spec.kind == "cycle" and (spec.value or "").count("/") == 1)


def _value(spec: TimerSpec, variables: Mapping[str, Any]) -> Any:
    if spec.expression is not None:
        return evaluate(spec.expression.ast, variables)
    return spec.value


def _duration(text: str, now: datetime) -> timedelta:
    try:
        parsed = isodate.parse_duration(text)
    except (isodate.ISO8601Error, ValueError) as err:
        raise TimerError(f"timer duration {text!r} is not ISO-8601: {err}") from None
    # Years and months (isodate.Duration) only have a length relative to a date.
    delta = (now + parsed) - now if not isinstance(parsed, timedelta) else parsed
    if not isinstance(delta, timedelta) or delta.total_seconds() < 0:
        raise TimerError(f"timer duration {text!r} is negative")
    return delta


def _cycle(text: str, now: datetime) -> Schedule:
    """``R3/PT1H``, ``R/PT1H`` (unbounded) or ``R3/2026-01-01T09:00:00Z/PT1H``."""
    parts = text.split("/")
    if not parts[0].startswith("R") or len(parts) not in (2, 3):
        raise TimerError(f"timer cycle {text!r} is not an ISO-8601 repeating interval")
    count = parts[0][1:]
    if count and not count.isdigit():
        raise TimerError(f"timer cycle {text!r} has an invalid repetition count")
    remaining = int(count) if count else None
    if remaining == 0:
        raise TimerError(f"timer cycle {text!r} never fires")
    start = parse_date(parts[1]) if len(parts) == 3 else None
    period = _duration(parts[-1], start or now)
    if period.total_seconds() <= 0:
        raise TimerError(f"timer cycle {text!r} has an empty period")
    return Schedule(start or now + period, remaining, period.total_seconds())
