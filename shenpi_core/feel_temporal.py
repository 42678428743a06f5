"""FEEL dates, times and durations: reading ISO text, writing it back, and calendar arithmetic.

Only fixed offsets (``Z``, ``+08:00``) are read: a named zone (``@Asia/Shanghai``) needs the tz
database, which is a file read and would change with the machine's tzdata, so it gives null.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from decimal import Decimal
from typing import Any

from shenpi_core.feel_values import YearMonth

# A year has four digits, or more without a leading zero (XML Schema); Python holds 1 to 9999.
_DATE = re.compile(r"(-?(?:[1-9]\d{4,8}|\d{4}))-(\d\d)-(\d\d)")
_TIME = re.compile(r"(\d\d):(\d\d):(\d\d)(\.\d{1,9})?(Z|[+-]\d\d:\d\d)?")
_DAY_TIME = re.compile(
    r"(-)?P(?:(\d{1,9})D)?(?:T(?:(\d{1,9})H)?(?:(\d{1,9})M)?(?:(\d{1,9})(\.\d{1,9})?S)?)?"
)
_YEAR_MONTH = re.compile(r"(-)?P(?:(\d{1,9})Y)?(?:(\d{1,9})M)?")


def parse_date(text: str) -> dt.date | None:
    match = _DATE.fullmatch(text)
    if match is None:
        return None
    try:
        return dt.date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:  # year 0, a year past 9999, 30 February
        return None


def _offset(text: str | None) -> dt.tzinfo | None:
    if text is None:
        return None
    if text == "Z":
        return dt.UTC
    sign = -1 if text[0] == "-" else 1
    hours, minutes = int(text[1:3]), int(text[4:6])
    if hours > 18 or minutes > 59:
        raise ValueError("offset out of range")
    return dt.timezone(sign * dt.timedelta(hours=hours, minutes=minutes))


def parse_time(text: str) -> dt.time | None:
    match = _TIME.fullmatch(text)
    if match is None:
        return None
    try:
        micro = int((match[4] or ".0")[1:7].ljust(6, "0"))
        return dt.time(int(match[1]), int(match[2]), int(match[3]), micro, tzinfo=_offset(match[5]))
    except ValueError:  # 25:00:00, 12:61:00
        return None


def parse_date_and_time(text: str) -> dt.datetime | None:
    if "T" not in text:
        day = parse_date(text)
        return None if day is None else dt.datetime(day.year, day.month, day.day)
    date_text, time_text = text.split("T", 1)
    day, clock = parse_date(date_text), parse_time(time_text)
    if day is None or clock is None:
        return None
    return dt.datetime.combine(day, clock)


def parse_duration(text: str) -> dt.timedelta | YearMonth | None:
    """``P1DT2H`` (days and time) or ``P1Y2M`` (years and months); mixing both gives null."""
    if text in ("P", "-P") or text.endswith("T"):
        return None
    match = _YEAR_MONTH.fullmatch(text)
    if match is not None:
        months = int(match[2] or 0) * 12 + int(match[3] or 0)
        return YearMonth(-months if match[1] else months)
    match = _DAY_TIME.fullmatch(text)
    if match is None:
        return None
    try:
        value = dt.timedelta(
            days=int(match[2] or 0),
            hours=int(match[3] or 0),
            minutes=int(match[4] or 0),
            seconds=int(match[5] or 0),
            microseconds=int((match[6] or ".0")[1:7].ljust(6, "0")),
        )
    except OverflowError:
        return None
    return -value if match[1] else value


def parse_any(text: str) -> Any:
    """An ``@"..."`` literal: a date, a time, a date and time or a duration."""
    if text.startswith(("P", "-P")):
        return parse_duration(text)
    if "T" in text:
        return parse_date_and_time(text)
    if ":" in text:
        return parse_time(text)
    return parse_date(text)


def _format_offset(value: dt.datetime | dt.time) -> str:
    offset = value.utcoffset()
    if offset is None:
        return ""
    if offset == dt.timedelta(0):
        return "Z"
    sign = "-" if offset < dt.timedelta(0) else "+"
    minutes = abs(int(offset.total_seconds())) // 60
    return f"{sign}{minutes // 60:02d}:{minutes % 60:02d}"


def _format_clock(value: dt.time | dt.datetime) -> str:
    text = f"{value.hour:02d}:{value.minute:02d}:{value.second:02d}"
    if value.microsecond:
        text += f".{value.microsecond:06d}".rstrip("0")
    return text + _format_offset(value)


def format_duration(value: dt.timedelta) -> str:
    if value == dt.timedelta(0):
        return "PT0S"
    sign = "-" if value < dt.timedelta(0) else ""
    total = abs(value)
    days, rest = total.days, total.seconds
    hours, minutes, seconds = rest // 3600, rest % 3600 // 60, rest % 60
    text = f"{sign}P" + (f"{days}D" if days else "")
    clock = (f"{hours}H" if hours else "") + (f"{minutes}M" if minutes else "")
    if seconds or total.microseconds:
        frac = f".{total.microseconds:06d}".rstrip("0") if total.microseconds else ""
        clock += f"{seconds}{frac}S"
    return text + (f"T{clock}" if clock else "")


def format_value(value: Any) -> str:
    """The ISO text of a date, time, date and time or duration."""
    if isinstance(value, dt.datetime):
        return f"{value.date().isoformat()}T{_format_clock(value)}"
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.time):
        return _format_clock(value)
    if isinstance(value, dt.timedelta):
        return format_duration(value)
    if isinstance(value, YearMonth):
        if value.months == 0:
            return "P0M"
        sign, months = ("-" if value.months < 0 else ""), abs(value.months)
        years, months = divmod(months, 12)
        return f"{sign}P" + (f"{years}Y" if years else "") + (f"{months}M" if months else "")
    raise TypeError(f"not a temporal value: {value!r}")


def add_months(value: dt.date, months: int) -> dt.date:
    """Calendar months, clamped to the month's last day (31 January + 1 month = 28/29 February)."""
    index = value.year * 12 + value.month - 1 + months
    year, month = divmod(index, 12)
    day = min(value.day, calendar.monthrange(year, month + 1)[1])
    return value.replace(year=year, month=month + 1, day=day)


def seconds(value: dt.timedelta) -> Decimal:
    """A duration's length in seconds, exactly (``total_seconds`` is a float)."""
    return Decimal(value.days * 86400 + value.seconds) + Decimal(value.microseconds) / 1_000_000


def months_between(start: dt.date, end: dt.date) -> int:
    """Whole months from ``start`` to ``end`` (``years and months duration``), signed; the
    clock is not counted (the TCK: 2014-12-31T23:59:59 to 2016-12-31T00:00:01 is 24 months)."""
    months = (end.year - start.year) * 12 + end.month - start.month
    if months > 0 and end.day < start.day:
        months -= 1
    elif months < 0 and end.day > start.day:
        months += 1
    return months
