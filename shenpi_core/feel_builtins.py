"""The FEEL built-in functions (DMN 1.3 §10.3.4): pure, deterministic, bounded.

Each takes evaluated FEEL values and returns one. As the spec says, a call with arguments of the
wrong type gives null (``_Invalid`` inside, turned into ``None`` by ``call``), never an exception:
a DMN table or a FEEL condition sees null and its own rules decide. There is no ``now()`` or
``today()``: the parser refuses them, since a replayed workflow cannot read the clock.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections.abc import Callable
from decimal import (
    ROUND_CEILING,
    ROUND_DOWN,
    ROUND_FLOOR,
    ROUND_HALF_DOWN,
    ROUND_HALF_EVEN,
    ROUND_HALF_UP,
    ROUND_UP,
    Decimal,
    InvalidOperation,
)
from typing import Any

from shenpi_core.feel_regex import regex_find, regex_replace, regex_split
from shenpi_core.feel_temporal import (
    months_between,
    parse_date,
    parse_date_and_time,
    parse_duration,
    parse_time,
)
from shenpi_core.feel_values import CTX, YearMonth, compare, equal, kind
from shenpi_core.limits import MAX_FEEL_LIST_ITEMS, MAX_FEEL_STRING_LENGTH


class _Invalid(Exception):
    """An argument FEEL does not accept: the call's value is null."""


def _check(ok: bool) -> None:
    if not ok:
        raise _Invalid


def _one(value: Any) -> Any:
    """A singleton list where one value is wanted is that value (DMN 1.3 §10.3.2.9.4)."""
    return value[0] if isinstance(value, list) and len(value) == 1 else value


def _s(value: Any) -> str:
    value = _one(value)
    _check(isinstance(value, str))
    return str(value)


def _n(value: Any) -> Decimal:
    value = _one(value)
    _check(isinstance(value, Decimal))
    return value  # type: ignore[no-any-return]


def _int(value: Any) -> int:
    number = _n(value)
    _check(number == number.to_integral_value())
    return int(number)


def _l(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _items(args: tuple[Any, ...]) -> list[Any]:
    """``max([1, 2])`` and ``max(1, 2)`` alike."""
    return list(args[0]) if len(args) == 1 and isinstance(args[0], list) else list(args)


def _bounded(value: Any) -> Any:
    if isinstance(value, str):
        _check(len(value) <= MAX_FEEL_STRING_LENGTH)
    if isinstance(value, list):
        _check(len(value) <= MAX_FEEL_LIST_ITEMS)
    return value


# --- strings ----------------------------------------------------------------------------------
def _substring(text: Any, start: Any, length: Any = None) -> str:
    s, begin = _s(text), _int(start)
    _check(begin != 0)
    begin = begin - 1 if begin > 0 else len(s) + begin
    begin = max(begin, 0)
    if length is None:
        return s[begin:]
    return s[begin : begin + max(_int(length), 0)]


def _before(text: Any, match: Any) -> str:
    s, m = _s(text), _s(match)
    return s[: s.find(m)] if m in s else ""


def _after(text: Any, match: Any) -> str:
    s, m = _s(text), _s(match)
    return s[s.find(m) + len(m) :] if m in s else ""


def _string(value: Any) -> Any:
    from shenpi_core.feel_temporal import format_value

    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        text = format(value.normalize(CTX), "f")
        return text
    if isinstance(value, dt.date | dt.time | dt.timedelta | YearMonth):
        return format_value(value)
    if isinstance(value, list):
        return "[" + ", ".join(_quoted(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_quoted(v)}" for k, v in value.items()) + "}"
    raise _Invalid


def _quoted(value: Any) -> str:
    return f'"{value}"' if isinstance(value, str) else ("null" if value is None else _string(value))


def _join(items: Any, delimiter: Any = None, prefix: Any = None, suffix: Any = None) -> str:
    parts = [_s(v) for v in _l(items) if v is not None]
    sep = "" if delimiter is None else _s(delimiter)
    return (
        ("" if prefix is None else _s(prefix))
        + sep.join(parts)
        + ("" if suffix is None else _s(suffix))
    )


def _number(text: Any, grouping: Any = None, decimal_sep: Any = None) -> Decimal:
    s = _s(text)
    _check(grouping in (None, " ", ",", ".") and decimal_sep in (None, ",", "."))
    _check(grouping is None or grouping != decimal_sep)
    if grouping is not None:
        s = s.replace(grouping, "")
    if decimal_sep is not None:
        s = s.replace(decimal_sep, ".")
    try:
        result = CTX.create_decimal(s)
    except InvalidOperation:
        raise _Invalid from None
    _check(result.is_finite() and s.strip() == s and "_" not in s)
    return result


# --- lists ------------------------------------------------------------------------------------
def _contains_item(items: Any, item: Any) -> bool:
    return any(equal(v, item) is True for v in _l(items))


def _sorted(values: list[Any]) -> list[Any]:
    for v in values[1:]:
        _check(compare(values[0], v) is not None)
    return sorted(values, key=_SortKey)


class _SortKey:
    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value

    def __lt__(self, other: _SortKey) -> bool:
        return compare(self.value, other.value) == -1


def _extreme(pick: int) -> Callable[..., Any]:
    def run(*args: Any) -> Any:
        values = _items(args)
        if not values:
            return None
        best = values[0]
        for v in values[1:]:
            order = compare(v, best)
            _check(order is not None)
            if order == pick:
                best = v
        return best

    return run


def _sum(*args: Any) -> Any:
    values = [_n(v) for v in _items(args)]
    total = Decimal(0)
    for v in values:
        total = CTX.add(total, v)
    return total if values else None


def _mean(*args: Any) -> Any:
    values = [_n(v) for v in _items(args)]
    _check(bool(values))
    return CTX.divide(_sum(values), Decimal(len(values)))


def _product(*args: Any) -> Any:
    values = [_n(v) for v in _items(args)]
    _check(bool(values))
    total = Decimal(1)
    for v in values:
        total = CTX.multiply(total, v)
    return total


def _median(*args: Any) -> Any:
    values = sorted(_n(v) for v in _items(args))
    if not values:
        return None
    mid = len(values) // 2
    if len(values) % 2:
        return values[mid]
    return CTX.divide(CTX.add(values[mid - 1], values[mid]), Decimal(2))


def _stddev(*args: Any) -> Any:
    values = [_n(v) for v in _items(args)]
    _check(len(values) > 1)
    return CTX.create_decimal(statistics.stdev(values))


def _truth(test: Callable[[list[Any]], bool | None], *args: Any) -> Any:
    values = _items(args)
    return test(values)


def _all(values: list[Any]) -> bool | None:
    if any(v is False for v in values):
        return False
    return True if all(v is True for v in values) else None


def _any(values: list[Any]) -> bool | None:
    if any(v is True for v in values):
        return True
    return False if all(v is False for v in values) else None


def _position(items: list[Any], position: Any, *, insert: bool = False) -> int:
    p, size = _int(position), len(items) + (1 if insert else 0)
    _check(p != 0 and -size <= p <= size)
    return p - 1 if p > 0 else len(items) + p


def _sublist(items: Any, start: Any, length: Any = None) -> list[Any]:
    values = _l(items)
    begin = _position(values, start)
    if length is None:
        return values[begin:]
    count = _int(length)
    _check(count >= 0 and begin + count <= len(values))
    return values[begin : begin + count]


def _insert_before(items: Any, position: Any, item: Any) -> list[Any]:
    values = list(_l(items))
    values.insert(_position(values, position), item)
    return values


def _remove(items: Any, position: Any) -> list[Any]:
    values = list(_l(items))
    del values[_position(values, position)]
    return values


def _index_of(items: Any, match: Any) -> list[Decimal]:
    return [Decimal(i + 1) for i, v in enumerate(_l(items)) if equal(v, match) is True]


def _distinct(items: Any) -> list[Any]:
    out: list[Any] = []
    for v in _l(items):
        if not _contains_item(out, v):
            out.append(v)
    return out


def _flatten(items: Any) -> list[Any]:
    out: list[Any] = []
    stack = [iter(_l(items))]
    while stack:
        for v in stack[-1]:
            if isinstance(v, list):
                stack.append(iter(v))
                break
            out.append(v)
            _check(len(out) <= MAX_FEEL_LIST_ITEMS)
        else:
            stack.pop()
    return out


# --- numbers ----------------------------------------------------------------------------------
def _quantize(value: Any, scale: Any, rounding: str) -> Decimal:
    n, places = _n(value), int(_n(scale))  # a fractional scale is truncated (TCK 1100)
    _check(-6111 <= places <= 6176)
    try:
        return n.quantize(Decimal(1).scaleb(-places), rounding=rounding, context=CTX)
    except InvalidOperation:
        raise _Invalid from None


def _modulo(dividend: Any, divisor: Any) -> Decimal:
    a, b = _n(dividend), _n(divisor)
    _check(b != 0)
    floor = CTX.divide(a, b).to_integral_value(rounding=ROUND_FLOOR)
    return CTX.subtract(a, CTX.multiply(b, floor))


def _sqrt(value: Any) -> Decimal:
    n = _n(value)
    _check(n >= 0)
    return n.sqrt(CTX)


def _abs(value: Any) -> Any:
    if isinstance(value, dt.timedelta):
        return abs(value)
    if isinstance(value, YearMonth):
        return YearMonth(abs(value.months))
    return abs(_n(value))


def _log(value: Any) -> Decimal:
    n = _n(value)
    _check(n > 0)
    return n.ln(CTX)


def _exp(value: Any) -> Decimal:
    return _n(value).exp(CTX)


# --- dates, times and durations ----------------------------------------------------------------
def _date(first: Any, *rest: Any) -> Any:
    if rest:
        _check(len(rest) == 2)
        month, day = rest
        try:
            return dt.date(_int(first), _int(month), _int(day))
        except ValueError:
            raise _Invalid from None
    if isinstance(first, dt.datetime):
        return first.date()
    if isinstance(first, dt.date):
        return first
    return parse_date(_s(first))


def _time(first: Any, *rest: Any) -> Any:
    if rest:
        _check(len(rest) in (2, 3))
        minute, second, offset = (*rest, None)[:3]
        sec = _n(second)
        whole = int(sec)
        tz = None
        if offset is not None:
            _check(isinstance(offset, dt.timedelta))
            tz = dt.timezone(offset)
        try:
            micro = int((sec - whole) * 1_000_000)
            return dt.time(_int(first), _int(minute), whole, micro, tzinfo=tz)
        except ValueError:
            raise _Invalid from None
    if isinstance(first, dt.datetime):
        return first.timetz()
    if isinstance(first, dt.time):
        return first
    if isinstance(first, dt.date):
        return dt.time(0, 0, 0, tzinfo=dt.UTC)
    return parse_time(_s(first))


def _date_and_time(first: Any, *rest: Any) -> Any:
    if rest:
        clock = rest[0]
        _check(isinstance(first, dt.date) and isinstance(clock, dt.time))
        day = first.date() if isinstance(first, dt.datetime) else first
        return dt.datetime.combine(day, clock)
    if isinstance(first, dt.datetime):
        return first
    if isinstance(first, dt.date):
        return dt.datetime(first.year, first.month, first.day)
    return parse_date_and_time(_s(first))


def _duration(text: Any) -> Any:
    return parse_duration(_s(text))


def _years_and_months(start: Any, end: Any) -> YearMonth:
    _check(isinstance(start, dt.date) and isinstance(end, dt.date))
    return YearMonth(months_between(start, end))


_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December")  # fmt: skip


def _day(value: Any) -> dt.date:
    _check(isinstance(value, dt.date))
    return value  # type: ignore[no-any-return]


# --- contexts ---------------------------------------------------------------------------------
def _get_value(context: Any, key: Any) -> Any:
    _check(isinstance(context, dict))
    return context.get(_s(key))


def _get_entries(context: Any) -> list[Any]:
    _check(isinstance(context, dict))
    return [{"key": k, "value": v} for k, v in context.items()]


def _not(value: Any) -> Any:
    return (not value) if isinstance(value, bool) else None


# name -> (callable, minimum arguments, maximum (None: any number), parameter names by overload)
_TABLE: dict[str, tuple[Callable[..., Any], int, int | None, tuple[tuple[str, ...], ...]]] = {
    "not": (_not, 1, 1, (("negand",),)),
    "substring": (_substring, 2, 3, (("string", "start position", "length"),)),
    "string length": (lambda s: Decimal(len(_s(s))), 1, 1, (("string",),)),
    "upper case": (lambda s: _s(s).upper(), 1, 1, (("string",),)),
    "lower case": (lambda s: _s(s).lower(), 1, 1, (("string",),)),
    "substring before": (_before, 2, 2, (("string", "match"),)),
    "substring after": (_after, 2, 2, (("string", "match"),)),
    "replace": (regex_replace, 3, 4, (("input", "pattern", "replacement", "flags"),)),
    "contains": (lambda s, m: _s(m) in _s(s), 2, 2, (("string", "match"),)),
    "starts with": (lambda s, m: _s(s).startswith(_s(m)), 2, 2, (("string", "match"),)),
    "ends with": (lambda s, m: _s(s).endswith(_s(m)), 2, 2, (("string", "match"),)),
    "matches": (regex_find, 2, 3, (("input", "pattern", "flags"),)),
    "split": (regex_split, 2, 2, (("string", "delimiter"),)),
    "string join": (_join, 1, 4, (("list", "delimiter", "prefix", "suffix"),)),
    "string": (_string, 1, 1, (("from",),)),
    "number": (_number, 1, 3, (("from", "grouping separator", "decimal separator"),)),
    "list contains": (_contains_item, 2, 2, (("list", "element"),)),
    "count": (lambda items: Decimal(len(_l(items))), 1, 1, (("list",),)),
    "min": (_extreme(-1), 1, None, (("list",),)),
    "max": (_extreme(1), 1, None, (("list",),)),
    "sum": (_sum, 1, None, (("list",),)),
    "mean": (_mean, 1, None, (("list",),)),
    "product": (_product, 1, None, (("list",),)),
    "median": (_median, 1, None, (("list",),)),
    "stddev": (_stddev, 1, None, (("list",),)),
    "all": (lambda *a: _truth(_all, *a), 1, None, (("list",),)),
    "any": (lambda *a: _truth(_any, *a), 1, None, (("list",),)),
    "sublist": (_sublist, 2, 3, (("list", "start position", "length"),)),
    "append": (lambda items, *new: [*_l(items), *new], 2, None, (("list", "item"),)),
    "concatenate": (lambda *ls: [v for x in ls for v in _l(x)], 1, None, (("list",),)),
    "insert before": (_insert_before, 3, 3, (("list", "position", "newItem"),)),
    "remove": (_remove, 2, 2, (("list", "position"),)),
    "reverse": (lambda items: list(reversed(_l(items))), 1, 1, (("list",),)),
    "index of": (_index_of, 2, 2, (("list", "match"),)),
    "union": (lambda *ls: _distinct([v for x in ls for v in _l(x)]), 1, None, (("list",),)),
    "distinct values": (_distinct, 1, 1, (("list",),)),
    "flatten": (_flatten, 1, 1, (("list",),)),
    "sort": (lambda items: _sorted(list(_l(items))), 1, 1, (("list",),)),
    "decimal": (lambda n, s: _quantize(n, s, ROUND_HALF_EVEN), 2, 2, (("n", "scale"),)),
    "floor": (lambda n: _n(n).to_integral_value(rounding=ROUND_FLOOR), 1, 1, (("n",),)),
    "ceiling": (lambda n: _n(n).to_integral_value(rounding=ROUND_CEILING), 1, 1, (("n",),)),
    "round up": (lambda n, s: _quantize(n, s, ROUND_UP), 2, 2, (("n", "scale"),)),
    "round down": (lambda n, s: _quantize(n, s, ROUND_DOWN), 2, 2, (("n", "scale"),)),
    "round half up": (lambda n, s: _quantize(n, s, ROUND_HALF_UP), 2, 2, (("n", "scale"),)),
    "round half down": (lambda n, s: _quantize(n, s, ROUND_HALF_DOWN), 2, 2, (("n", "scale"),)),
    "abs": (_abs, 1, 1, (("n",),)),
    "modulo": (_modulo, 2, 2, (("dividend", "divisor"),)),
    "sqrt": (_sqrt, 1, 1, (("number",),)),
    "log": (_log, 1, 1, (("number",),)),
    "exp": (_exp, 1, 1, (("number",),)),
    "odd": (lambda n: _int(n) % 2 == 1, 1, 1, (("number",),)),
    "even": (lambda n: _int(n) % 2 == 0, 1, 1, (("number",),)),
    "date": (_date, 1, 3, (("from",), ("year", "month", "day"))),
    "time": (_time, 1, 4, (("from",), ("hour", "minute", "second", "offset"))),
    "date and time": (_date_and_time, 1, 2, (("from",), ("date", "time"))),
    "duration": (_duration, 1, 1, (("from",),)),
    "years and months duration": (_years_and_months, 2, 2, (("from", "to"),)),
    "day of week": (lambda d: _DAYS[_day(d).weekday()], 1, 1, (("date",),)),
    "day of year": (lambda d: Decimal(_day(d).timetuple().tm_yday), 1, 1, (("date",),)),
    "week of year": (lambda d: Decimal(_day(d).isocalendar()[1]), 1, 1, (("date",),)),
    "month of year": (lambda d: _MONTHS[_day(d).month - 1], 1, 1, (("date",),)),
    "get value": (_get_value, 2, 2, (("m", "key"),)),
    "get entries": (_get_entries, 1, 1, (("m",),)),
    # Camunda 8's: false for a missing name and for null alike (FEEL has no "undefined").
    "is defined": (lambda value: value is not None, 1, 1, (("value",),)),
}

# For the parser: name -> (minimum, maximum or None, parameter names by overload).
SIGNATURES: dict[str, tuple[int, int | None, tuple[tuple[str, ...], ...]]] = {
    name: (low, high, params) for name, (_, low, high, params) in _TABLE.items()
}


def call(name: str, args: list[Any]) -> Any:
    """Run built-in ``name``; a wrong argument gives null, as FEEL says."""
    fn = _TABLE[name][0]
    try:
        return _bounded(fn(*args))
    except (_Invalid, TypeError, ValueError, ArithmeticError, IndexError):
        return None


def type_matches(value: Any, type_name: str) -> bool:
    """``instance of``: the FEEL type of ``value`` is ``type_name`` (``Any`` matches non-null)."""
    if type_name == "Any":
        return value is not None
    if type_name == "Null":
        return value is None
    return kind(value) == type_name
