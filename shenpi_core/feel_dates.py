"""FEEL date, time and duration built-ins (DMN 1.3 §10.3.4.1, §10.3.4.7); no clock."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from shenpi_core.feel_args import Entry, Invalid, check, integer, num, text
from shenpi_core.feel_temporal import (
    months_between,
    parse_date,
    parse_date_and_time,
    parse_duration,
    parse_time,
)
from shenpi_core.feel_values import YearMonth


# --- dates, times and durations ----------------------------------------------------------------
def _date(first: Any, *rest: Any) -> Any:
    if rest:
        check(len(rest) == 2)
        month, day = rest
        try:
            return dt.date(integer(first), integer(month), integer(day))
        except ValueError:
            raise Invalid from None
    if isinstance(first, dt.datetime):
        return first.date()
    if isinstance(first, dt.date):
        return first
    return parse_date(text(first))


def _time(first: Any, *rest: Any) -> Any:
    if rest:
        check(len(rest) in (2, 3))
        minute, second, offset = (*rest, None)[:3]
        sec = num(second)
        whole = int(sec)
        tz = None
        if offset is not None:
            check(isinstance(offset, dt.timedelta))
            tz = dt.timezone(offset)
        try:
            micro = int((sec - whole) * 1_000_000)
            return dt.time(integer(first), integer(minute), whole, micro, tzinfo=tz)
        except ValueError:
            raise Invalid from None
    if isinstance(first, dt.datetime):
        return first.timetz()
    if isinstance(first, dt.time):
        return first
    if isinstance(first, dt.date):
        return dt.time(0, 0, 0, tzinfo=dt.UTC)
    return parse_time(text(first))


def _date_and_time(first: Any, *rest: Any) -> Any:
    if rest:
        clock = rest[0]
        check(isinstance(first, dt.date) and isinstance(clock, dt.time))
        day = first.date() if isinstance(first, dt.datetime) else first
        return dt.datetime.combine(day, clock)
    if isinstance(first, dt.datetime):
        return first
    if isinstance(first, dt.date):
        return dt.datetime(first.year, first.month, first.day)
    return parse_date_and_time(text(first))


def _duration(value: Any) -> Any:
    return parse_duration(text(value))


def _years_and_months(start: Any, end: Any) -> YearMonth:
    check(isinstance(start, dt.date) and isinstance(end, dt.date))
    return YearMonth(months_between(start, end))


_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December")  # fmt: skip


def _day(value: Any) -> dt.date:
    check(isinstance(value, dt.date))
    return value  # type: ignore[no-any-return]


FUNCTIONS: dict[str, Entry] = {
    "date": (_date, 1, 3, (("from",), ("year", "month", "day"))),
    "time": (_time, 1, 4, (("from",), ("hour", "minute", "second", "offset"))),
    "date and time": (_date_and_time, 1, 2, (("from",), ("date", "time"))),
    "duration": (_duration, 1, 1, (("from",),)),
    "years and months duration": (_years_and_months, 2, 2, (("from", "to"),)),
    "day of week": (lambda d: _DAYS[_day(d).weekday()], 1, 1, (("date",),)),
    "day of year": (lambda d: Decimal(_day(d).timetuple().tm_yday), 1, 1, (("date",),)),
    "week of year": (lambda d: Decimal(_day(d).isocalendar()[1]), 1, 1, (("date",),)),
    "month of year": (lambda d: _MONTHS[_day(d).month - 1], 1, 1, (("date",),)),
}
