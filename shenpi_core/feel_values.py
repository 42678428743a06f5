"""FEEL values inside an evaluation, and the way in from and out to JSON variables.

Inside an evaluation FEEL numbers are ``Decimal`` (34 digits, half-even: ``0.1 + 0.2 = 0.3``, as the
spec and Camunda have it), dates and times are ``datetime`` values, a days-and-time duration is a
``timedelta`` and a years-and-months duration a ``YearMonth``. Variables are JSON, so numbers come
in as int/float (``from_json``); results go out as JSON again in ``feel_json``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Context, Decimal, InvalidOperation
from typing import Any

# One context object for every operation, never the thread's global one: the same digits on
# every worker, whatever else runs in the process.
CTX = Context(prec=34, rounding=ROUND_HALF_EVEN, Emax=6144, Emin=-6143, traps=[])


@dataclass(frozen=True, slots=True)
class YearMonth:
    """A years-and-months duration, in months (negative allowed)."""

    months: int


@dataclass(frozen=True, slots=True)
class Range:
    """A FEEL range ``[a..b)``; an open end is ``None`` with no bound (``< 5`` is ``(null..5)``)."""

    low: Any
    high: Any
    low_closed: bool
    high_closed: bool


@dataclass(frozen=True, slots=True)
class Function:
    """A callable value: a business knowledge model or a decision service (DMN)."""

    name: str
    params: tuple[str, ...]
    call: Callable[[list[Any]], Any]


def kind(value: Any) -> str:
    """The FEEL type name of a value (``instance of`` and error messages)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, Decimal):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, dt.datetime):
        return "date and time"
    if isinstance(value, dt.date):
        return "date"
    if isinstance(value, dt.time):
        return "time"
    if isinstance(value, dt.timedelta):
        return "days and time duration"
    if isinstance(value, YearMonth):
        return "years and months duration"
    if isinstance(value, list):
        return "list"
    if isinstance(value, Mapping):
        return "context"
    if isinstance(value, Range):
        return "range"
    if isinstance(value, Function):
        return "function"
    return type(value).__name__


def number(value: int | float | str) -> Decimal | None:
    """A FEEL number, or ``None`` for what is not one (NaN, infinity, too large)."""
    try:
        result = CTX.create_decimal(repr(value) if isinstance(value, float) else value)
    except (InvalidOperation, ValueError):
        return None
    return result if result.is_finite() else None


def from_json(value: Any) -> Any:
    """A variable's JSON value as a FEEL value (numbers become decimals, all the way down)."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int | float):
        return number(value)
    if isinstance(value, list | tuple):
        return [from_json(item) for item in value]
    if isinstance(value, Mapping):
        return {str(k): from_json(v) for k, v in value.items()}
    return value  # already a FEEL value (a DMN caller hands over dates)


_ORDERED = frozenset(
    {
        "number",
        "string",
        "date",
        "time",
        "date and time",
        "days and time duration",
        "years and months duration",
    }
)


def _comparable(left: Any, right: Any) -> tuple[Any, Any] | None:
    """The two values in a form Python can compare, or ``None`` when FEEL says they are not."""
    lk, rk = kind(left), kind(right)
    if lk != rk or lk not in _ORDERED:
        return None
    if lk == "years and months duration":
        return left.months, right.months
    if lk in ("date and time", "time"):
        # A value with an offset and one without are not comparable (FEEL gives null).
        if (left.utcoffset() is None) != (right.utcoffset() is None):
            return None
        if lk == "time" and left.utcoffset() is not None:
            return _time_seconds(left), _time_seconds(right)
    return left, right


def _time_seconds(value: dt.time) -> float:
    offset = value.utcoffset() or dt.timedelta()
    seconds = value.hour * 3600 + value.minute * 60 + value.second + value.microsecond / 1e6
    return seconds - offset.total_seconds()


def compare(left: Any, right: Any) -> int | None:
    """-1, 0 or 1; ``None`` when either is null or the two cannot be ordered."""
    pair = _comparable(left, right)
    if pair is None:
        return None
    a, b = pair
    return -1 if a < b else (1 if a > b else 0)


def equal(left: Any, right: Any) -> bool | None:
    """FEEL ``=``: null equals only null; values of different types give null."""
    if left is None or right is None:
        return left is None and right is None
    lk, rk = kind(left), kind(right)
    if lk != rk:
        return None
    if lk == "list":
        if len(left) != len(right):
            return False
        return _all_equal(zip(left, right, strict=True))
    if lk == "context":
        if set(left) != set(right):
            return False
        return _all_equal((left[k], right[k]) for k in left)
    if lk == "range":
        return bool(left == right)
    if lk == "time" and (left.utcoffset() is None) != (right.utcoffset() is None):
        return False
    if lk == "date and time":
        if (left.utcoffset() is None) != (right.utcoffset() is None):
            return False
        return bool(left == right)
    if lk in _ORDERED:
        return compare(left, right) == 0
    return bool(left == right)


def _all_equal(pairs: Any) -> bool | None:
    result: bool | None = True
    for a, b in pairs:
        same = equal(a, b)
        if same is False:
            return False
        if same is None:
            result = None
    return result
