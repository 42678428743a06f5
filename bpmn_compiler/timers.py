"""Compile BPMN timer definitions (ISO-8601 durations, dates, cycles) into ``TimerSpec``.

Literal timers are resolved here (``seconds``, ``repeat``, a normalised UTC date) so the workflow
never parses ISO text; a timer written as an expression (``${dueIn}``, ``= dueIn``) stays an
expression and is evaluated by the workflow when the token arrives.
"""

from __future__ import annotations

import re
from datetime import UTC, timedelta

import isodate

from bpmn_compiler.expressions import ExpressionSyntaxError, compile_value
from bpmn_compiler.memo import once
from bpmn_compiler.model import RawTimer, whole_number
from shenpi_core.process_plan import TimerSpec

# R<n>/<duration>, or R<n>/<start>/<duration> (the start is for a process's timer start only).
_CYCLE = re.compile(r"^R(\d*)/(?:([^/]+)/)?(P[^/]+)$")
# The durations files write most (PT10M, P30D, P1DT12H): whole days, hours, minutes and seconds.
# isodate's general reader (regexes, then Decimal) takes some 15 µs for each; these are worked
# out directly, to the same float (tests/compiler/test_timers_fast.py compares the two).
_WHOLE_DURATION = re.compile(
    r"P(?:([0-9]{1,6})D)?(?:T(?=[0-9])(?:([0-9]{1,6})H)?(?:([0-9]{1,6})M)?(?:([0-9]{1,6})S)?)?"
)


class TimerSyntaxError(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _looks_like_expression(text: str) -> bool:
    return text.startswith("=") or "${" in text or "#{" in text


def duration_seconds(text: str) -> float:
    """Seconds of an ISO-8601 duration; months and years are refused (no fixed length)."""
    return once("duration", text, lambda: _duration_seconds(text), TimerSyntaxError)


def _duration_seconds(text: str) -> float:
    whole = _WHOLE_DURATION.fullmatch(text)
    if whole is not None and whole.lastindex:  # at least one part written
        days, hours, minutes, secs = (int(part or 0) for part in whole.groups())
        total = ((days * 24 + hours) * 60 + minutes) * 60 + secs
        if total > 0:  # zero is refused below, with its message
            return float(total)
    try:
        value = isodate.parse_duration(text)
    except (isodate.ISO8601Error, ValueError):
        raise TimerSyntaxError(f"{text!r} is not an ISO-8601 duration (e.g. PT24H, P3D)") from None
    except OverflowError:  # beyond what a timedelta holds (about 2.7 million years)
        raise TimerSyntaxError(f"duration {text!r} is too long") from None
    if not isinstance(value, timedelta):
        raise TimerSyntaxError(
            f"{text!r} counts months or years, which have no fixed length; write days (P30D)"
        )
    seconds = value.total_seconds()
    if seconds <= 0:
        raise TimerSyntaxError(f"duration {text!r} must be positive")
    return seconds


def _date(text: str) -> tuple[str, bool]:
    """The date as ISO text with an offset, and whether it had to assume UTC."""
    try:
        value = isodate.parse_datetime(text)
    except (isodate.ISO8601Error, ValueError, OverflowError):
        raise TimerSyntaxError(
            f"{text!r} is not an ISO-8601 date and time (e.g. 2026-12-01T09:00:00Z)"
        ) from None
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC).isoformat(), True
    return value.isoformat(), False


def _cycle(text: str, *, dated: bool) -> tuple[int | None, float, str | None, bool]:
    """Repetitions, interval, start date (None: none written) of an ISO-8601 cycle, and whether
    the start date had to be read as UTC.

    ``dated``: a start date is allowed (a process's timer start: its Schedule starts there)."""
    match = _CYCLE.match(text)
    if match is None or (match.group(2) and not dated):
        if len(text.split()) >= 5:
            raise TimerSyntaxError(f"cron cycle {text!r} is unsupported; write R<n>/<duration>")
        raise TimerSyntaxError(
            f"{text!r} is not a supported cycle; write R<n>/<duration> (e.g. R3/PT1H)"
        )
    repeat = whole_number(match.group(1)) if match.group(1) else None
    if match.group(1) and repeat is None:
        raise TimerSyntaxError(f"cycle {text!r}: the repetitions must be a number below 10^9")
    if repeat == 0:
        raise TimerSyntaxError(f"cycle {text!r} repeats zero times")
    start, assumed_utc = _date(match.group(2)) if match.group(2) else (None, False)
    return repeat, duration_seconds(match.group(3)), start, assumed_utc


# One cron field: numbers, names (MON, JAN), ranges, lists, steps, and `*`/`?`.
_CRON_FIELD = re.compile(r"^[0-9A-Za-z*?/,\-]+$")


def _cron(text: str) -> str | None:
    """A cron cycle as Temporal Schedules read it (7 fields), or None if ``text`` is not one.

    Zeebe writes Spring's 6 fields (seconds first) and Quartz's `?`; Temporal reads 5 fields
    (minute first), or 7 (seconds first, year last), where 6 would mean a year. Temporal checks
    the values themselves when the schedule is created at deploy time."""
    fields = text.split()
    if len(fields) not in (5, 6, 7) or not all(_CRON_FIELD.match(f) for f in fields):
        return None
    fields = [f.replace("?", "*") for f in fields]
    if len(fields) == 5:
        fields = ["0", *fields]
    if len(fields) == 6:
        fields.append("*")
    return " ".join(fields)


def compile_timer(raw: RawTimer, *, cron: bool = False) -> tuple[TimerSpec, bool]:
    """The timer, and whether a date without offset was read as UTC (worth a warning).

    ``cron``: a process's timer start, which becomes a Schedule: a cron cycle and a cycle from a
    start date (``R3/2026-01-01T09:00:00Z/P1D``) are allowed."""
    key = (raw.kind, raw.text.text, raw.text.language, cron)
    return once("timer", key, lambda: _compile_timer(raw, cron=cron), TimerSyntaxError)


def _compile_timer(raw: RawTimer, *, cron: bool) -> tuple[TimerSpec, bool]:
    text = raw.text.text.strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        text = text[1:-1].strip()  # a quoted literal, as SpiffWorkflow's Python timers write it
    if not text:
        raise TimerSyntaxError(f"the {raw.kind} timer is empty")
    if _looks_like_expression(text):
        try:
            expression = compile_value(raw.text)
        except ExpressionSyntaxError as err:
            raise TimerSyntaxError(err.message) from None
        return TimerSpec(kind=raw.kind, expression=expression), False
    if raw.kind == "duration":
        return TimerSpec(kind="duration", value=text, seconds=duration_seconds(text)), False
    if raw.kind == "date":
        value, assumed_utc = _date(text)
        return TimerSpec(kind="date", value=value), assumed_utc
    if cron and (temporal := _cron(text)) is not None:
        return TimerSpec(kind="cycle", value=text, cron=temporal), False
    repeat, seconds, start, assumed_utc = _cycle(text, dated=cron)
    spec = TimerSpec(kind="cycle", value=text, seconds=seconds, repeat=repeat, start=start)
    return spec, assumed_utc
