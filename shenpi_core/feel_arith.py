"""FEEL arithmetic (DMN 1.3 §10.3.2.3): numbers, strings, dates, times and durations.

Null in, null out; a pair of types the spec has no rule for gives null too, as do division by
zero and a result too large for a decimal. Decimal operations go through the module's one
``CTX``, so every worker rounds alike.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from shenpi_core.feel_temporal import add_months, seconds
from shenpi_core.feel_values import CTX, YearMonth
from shenpi_core.limits import MAX_FEEL_STRING_LENGTH

_DAY = dt.timedelta(days=1)


def _finite(value: Decimal) -> Decimal | None:
    return value if value.is_finite() else None


def _shift(moment: Any, delta: Any, sign: int) -> Any:
    """A date, date and time or time moved by a duration; null for what cannot move."""
    try:
        if isinstance(delta, YearMonth):
            if isinstance(moment, dt.date):  # datetime included: its clock stays
                return add_months(moment, sign * delta.months)
            return None
        if isinstance(moment, dt.datetime):
            return moment + sign * delta
        if isinstance(moment, dt.date):
            midnight = dt.datetime(moment.year, moment.month, moment.day)
            return (midnight + sign * delta).date()
        if isinstance(moment, dt.time):
            anchor = dt.datetime.combine(dt.date(2000, 1, 1), moment)
            return (anchor + sign * delta).timetz()
    except OverflowError:
        return None
    return None


def _moment(value: Any) -> bool:
    return isinstance(value, dt.date | dt.time)


def _duration(value: Any) -> bool:
    return isinstance(value, dt.timedelta | YearMonth)


def add(a: Any, b: Any) -> Any:
    if a is None or b is None:
        return None
    if isinstance(a, Decimal) and isinstance(b, Decimal):
        return _finite(CTX.add(a, b))
    if isinstance(a, str) and isinstance(b, str):
        return a + b if len(a) + len(b) <= MAX_FEEL_STRING_LENGTH else None
    if isinstance(a, dt.timedelta) and isinstance(b, dt.timedelta):
        return _checked(lambda: a + b)
    if isinstance(a, YearMonth) and isinstance(b, YearMonth):
        return YearMonth(a.months + b.months)
    if _moment(a) and _duration(b):
        return _shift(a, b, 1)
    if _duration(a) and _moment(b):
        return _shift(b, a, 1)
    return None


def subtract(a: Any, b: Any) -> Any:
    if a is None or b is None:
        return None
    if isinstance(a, Decimal) and isinstance(b, Decimal):
        return _finite(CTX.subtract(a, b))
    if isinstance(a, dt.timedelta) and isinstance(b, dt.timedelta):
        return _checked(lambda: a - b)
    if isinstance(a, YearMonth) and isinstance(b, YearMonth):
        return YearMonth(a.months - b.months)
    if _moment(a) and _duration(b):
        return _shift(a, b, -1)
    if isinstance(a, dt.date) and isinstance(b, dt.date):
        left, right = _as_datetime(a), _as_datetime(b)
        if (left.utcoffset() is None) != (right.utcoffset() is None):
            return None
        return left - right
    if isinstance(a, dt.time) and isinstance(b, dt.time):
        if (a.utcoffset() is None) != (b.utcoffset() is None):
            return None
        day = dt.date(2000, 1, 1)
        return dt.datetime.combine(day, a) - dt.datetime.combine(day, b)
    return None


def _as_datetime(value: dt.date) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value
    return dt.datetime(value.year, value.month, value.day)


def multiply(a: Any, b: Any) -> Any:
    if a is None or b is None:
        return None
    if isinstance(a, Decimal) and isinstance(b, Decimal):
        return _finite(CTX.multiply(a, b))
    if isinstance(b, Decimal) and _duration(a):
        a, b = b, a
    if isinstance(a, Decimal) and isinstance(b, dt.timedelta):
        return _from_seconds(CTX.multiply(seconds(b), a))
    if isinstance(a, Decimal) and isinstance(b, YearMonth):
        return YearMonth(int(CTX.multiply(Decimal(b.months), a).to_integral_value()))
    return None


def divide(a: Any, b: Any) -> Any:
    if a is None or b is None:
        return None
    if isinstance(a, Decimal) and isinstance(b, Decimal):
        return None if b == 0 else _finite(CTX.divide(a, b))
    if isinstance(a, dt.timedelta) and isinstance(b, Decimal):
        return None if b == 0 else _from_seconds(CTX.divide(seconds(a), b))
    if isinstance(a, YearMonth) and isinstance(b, Decimal):
        return None if b == 0 else YearMonth(int(CTX.divide(Decimal(a.months), b)))
    if isinstance(a, dt.timedelta) and isinstance(b, dt.timedelta):
        return None if not b else CTX.divide(seconds(a), seconds(b))
    if isinstance(a, YearMonth) and isinstance(b, YearMonth):
        return None if b.months == 0 else CTX.divide(Decimal(a.months), Decimal(b.months))
    return None


def power(a: Any, b: Any) -> Any:
    if not (isinstance(a, Decimal) and isinstance(b, Decimal)):
        return None
    if abs(b) > 999_999 or (a == 0 and b < 0):
        return None
    if b != b.to_integral_value() and a < 0:
        return None
    return _finite(CTX.power(a, b))


def negate(a: Any) -> Any:
    if isinstance(a, Decimal):
        return -a
    if isinstance(a, dt.timedelta):
        return -a
    if isinstance(a, YearMonth):
        return YearMonth(-a.months)
    return None


def _from_seconds(value: Decimal) -> dt.timedelta | None:
    try:
        return dt.timedelta(seconds=float(value))
    except OverflowError:
        return None


def _checked(make: Any) -> Any:
    try:
        return make()
    except OverflowError:
        return None
