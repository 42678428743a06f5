"""FEEL's regular-expression functions (``matches``, ``replace``, ``split``), made safe to run.

Python's ``re`` backtracks, so a pattern like ``(a+)+b`` takes exponential time on ``aaaa…c``: one
request could stall every workflow task on the worker. A timeout would not do (it depends on the
machine, so a replay could take another branch), so the patterns are limited instead, before they
run: no quantifier on a group that holds a quantifier or an alternative (what makes backtracking
exponential), no back-references or look-arounds, at most three unbounded quantifiers, and the
pattern and the text they scan are capped (``shenpi_core.limits``). What remains is polynomial in
a bounded input. A refused pattern makes the call null, as any invalid argument does in FEEL.
"""

from __future__ import annotations

import re
from typing import Any

from shenpi_core.limits import MAX_FEEL_REGEX_INPUT, MAX_FEEL_REGEX_PATTERN


class UnsafePatternError(ValueError):
    """A pattern outside the safe subset (builtins turn it into null)."""


_FLAGS = {"i": re.IGNORECASE, "s": re.DOTALL, "m": re.MULTILINE, "x": re.VERBOSE}
_MAX_UNBOUNDED = 3


def _check_pattern(pattern: str) -> None:
    if len(pattern) > MAX_FEEL_REGEX_PATTERN:
        raise UnsafePatternError("pattern too long")
    # per open group: [holds a quantifier, holds an alternative]
    groups: list[list[bool]] = [[False, False]]
    unbounded, i, in_class = 0, 0, False
    last_group: list[bool] | None = None  # the group that just closed, if the last atom was one
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\":
            if i + 1 < len(pattern) and pattern[i + 1].isdigit() and pattern[i + 1] != "0":
                raise UnsafePatternError("back-references are not allowed")
            i += 2
            last_group = None
            continue
        if in_class:
            in_class = ch != "]"
        elif ch == "[":
            in_class, last_group = True, None
        elif ch == "(":
            if pattern.startswith("(?", i) and not pattern.startswith("(?:", i):
                raise UnsafePatternError("look-arounds and inline flags are not allowed")
            groups.append([False, False])
        elif ch == ")":
            if len(groups) == 1:
                raise UnsafePatternError("unbalanced parenthesis")
            last_group = groups.pop()
            groups[-1][0] |= last_group[0]
            groups[-1][1] |= last_group[1]
            i += 1
            continue
        elif ch == "|":
            groups[-1][1] = True
        elif ch in "*+{":
            is_unbounded = ch in "*+" or re.match(r"\{\d*,\}", pattern[i:]) is not None
            repeats = is_unbounded or re.match(r"\{\d*,?\d*\}", pattern[i:]) is not None
            if repeats and last_group is not None and (last_group[0] or last_group[1]):
                raise UnsafePatternError("a repeated group may not hold a quantifier or '|'")
            unbounded += is_unbounded
            groups[-1][0] = True
        last_group = None
        i += 1
    if unbounded > _MAX_UNBOUNDED:
        raise UnsafePatternError("too many unbounded quantifiers")


def _compile(pattern: Any, flags: Any) -> re.Pattern[str]:
    if not isinstance(pattern, str) or not (flags is None or isinstance(flags, str)):
        raise UnsafePatternError("pattern and flags must be strings")
    value = 0
    for flag in flags or "":
        if flag == "q":
            pattern = re.escape(pattern)
            continue
        if flag not in _FLAGS:
            raise UnsafePatternError(f"unknown flag {flag!r}")
        value |= _FLAGS[flag]
    _check_pattern(pattern)
    try:
        return re.compile(pattern, value)
    except re.error as err:
        raise UnsafePatternError(str(err)) from None


def _text(value: Any) -> str:
    if not isinstance(value, str) or len(value) > MAX_FEEL_REGEX_INPUT:
        raise UnsafePatternError("input must be a string within the size limit")
    return value


def regex_find(text: Any, pattern: Any, flags: Any = None) -> bool:
    return _compile(pattern, flags).search(_text(text)) is not None


def regex_replace(text: Any, pattern: Any, replacement: Any, flags: Any = None) -> str:
    if not isinstance(replacement, str):
        raise UnsafePatternError("replacement must be a string")
    # XPath writes groups as $1; Python as \g<1>. A literal backslash stays literal.
    python_repl = re.sub(r"\$(\d)", r"\\g<\1>", replacement.replace("\\", "\\\\"))
    return _compile(pattern, flags).sub(python_repl, _text(text))


def regex_split(text: Any, delimiter: Any) -> list[str]:
    return _compile(delimiter, None).split(_text(text))
