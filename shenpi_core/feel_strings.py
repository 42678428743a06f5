"""FEEL string built-ins and the conversions to and from text (DMN 1.3 §10.3.4.3)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from shenpi_core.feel_args import Entry, Invalid, check, integer, listed, text
from shenpi_core.feel_regex import regex_find, regex_replace, regex_split
from shenpi_core.feel_temporal import format_value
from shenpi_core.feel_values import CTX, YearMonth


def _substring(value: Any, start: Any, length: Any = None) -> str:
    s, begin = text(value), integer(start)
    check(begin != 0)
    begin = begin - 1 if begin > 0 else len(s) + begin
    begin = max(begin, 0)
    if length is None:
        return s[begin:]
    return s[begin : begin + max(integer(length), 0)]


def _before(value: Any, match: Any) -> str:
    s, m = text(value), text(match)
    return s[: s.find(m)] if m in s else ""


def _after(value: Any, match: Any) -> str:
    s, m = text(value), text(match)
    return s[s.find(m) + len(m) :] if m in s else ""


def _string(value: Any) -> Any:
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
    raise Invalid


def _quoted(value: Any) -> str:
    return f'"{value}"' if isinstance(value, str) else ("null" if value is None else _string(value))


def _join(items: Any, delimiter: Any = None, prefix: Any = None, suffix: Any = None) -> str:
    parts = [text(v) for v in listed(items) if v is not None]
    sep = "" if delimiter is None else text(delimiter)
    return (
        ("" if prefix is None else text(prefix))
        + sep.join(parts)
        + ("" if suffix is None else text(suffix))
    )


def _number(value: Any, grouping: Any = None, decimal_sep: Any = None) -> Decimal:
    s = text(value)
    check(grouping in (None, " ", ",", ".") and decimal_sep in (None, ",", "."))
    check(grouping is None or grouping != decimal_sep)
    if grouping is not None:
        s = s.replace(grouping, "")
    if decimal_sep is not None:
        s = s.replace(decimal_sep, ".")
    try:
        result = CTX.create_decimal(s)
    except InvalidOperation:
        raise Invalid from None
    check(result.is_finite() and s.strip() == s and "_" not in s)
    return result


FUNCTIONS: dict[str, Entry] = {
    "substring": (_substring, 2, 3, (("string", "start position", "length"),)),
    "string length": (lambda s: Decimal(len(text(s))), 1, 1, (("string",),)),
    "upper case": (lambda s: text(s).upper(), 1, 1, (("string",),)),
    "lower case": (lambda s: text(s).lower(), 1, 1, (("string",),)),
    "substring before": (_before, 2, 2, (("string", "match"),)),
    "substring after": (_after, 2, 2, (("string", "match"),)),
    "replace": (regex_replace, 3, 4, (("input", "pattern", "replacement", "flags"),)),
    "contains": (lambda s, m: text(m) in text(s), 2, 2, (("string", "match"),)),
    "starts with": (lambda s, m: text(s).startswith(text(m)), 2, 2, (("string", "match"),)),
    "ends with": (lambda s, m: text(s).endswith(text(m)), 2, 2, (("string", "match"),)),
    "matches": (regex_find, 2, 3, (("input", "pattern", "flags"),)),
    "split": (regex_split, 2, 2, (("string", "delimiter"),)),
    "string join": (_join, 1, 4, (("list", "delimiter", "prefix", "suffix"),)),
    "string": (_string, 1, 1, (("from",),)),
    "number": (_number, 1, 3, (("from", "grouping separator", "decimal separator"),)),
}
