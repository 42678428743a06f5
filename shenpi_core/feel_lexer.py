"""FEEL text → tokens, for ``feel_parser``. Compile time only.

FEEL names may hold spaces (``Monthly Salary``, ``string length``), which no context-free lexer can
tell from two names. So the lexer is told the names that exist (a DMN model's inputs, decisions and
fields) and reads the longest of them first; a built-in function whose name has spaces is read as
one name only when a ``(`` follows, so ``date and time(...)`` is a call while ``a and b`` is not.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass

from shenpi_core.expression_errors import ExpressionError

SPACED_FUNCTIONS = (
    "string length", "upper case", "lower case", "substring before", "substring after",
    "starts with", "ends with", "list contains", "insert before", "index of", "distinct values",
    "string join", "date and time", "years and months duration", "day of week", "day of year",
    "week of year", "month of year", "is defined", "get value", "get entries", "round up",
    "round down", "round half up", "round half down",
)  # fmt: skip


class FeelSyntaxError(ExpressionError):
    """FEEL text that does not parse; raised at compile time only."""


@dataclass(frozen=True, slots=True)
class Token:
    kind: str  # "num", "str", "name", "op", "end"
    text: str
    pos: int


_SKIP = re.compile(r"(?:\s+|//[^\n]*|/\*.*?\*/)+", re.DOTALL)
_NUMBER = re.compile(r"\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|\.\d+")
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_NAME = re.compile(r"[^\W\d]\w*|\?")
_OPS = ("..", "**", "<=", ">=", "!=", "=", "<", ">", "+", "-", "*", "/", "(", ")", "[", "]",
        "{", "}", ",", ".", ":", "@")  # fmt: skip
_CALL_AHEAD = re.compile(r"\s*\(")
# By first character, longest first: a name starting with ``l`` is tried against the two built-ins
# that do, not all twenty-five (most names in conditions start with a letter some built-in has).
_FUNCTIONS_BY_FIRST: dict[str, tuple[str, ...]] = {
    first: tuple(sorted((f for f in SPACED_FUNCTIONS if f[0] == first), key=len, reverse=True))
    for first in {name[0] for name in SPACED_FUNCTIONS}
}


def tokenize(text: str, names: Iterable[str] = ()) -> list[Token]:
    """Split ``text``; ``names`` are multi-word names known where the text is written."""
    spaced, firsts = _spaced(tuple(names))
    tokens: list[Token] = []
    pos = 0
    while True:
        skip = _SKIP.match(text, pos)
        if skip is not None:
            pos = skip.end()
        if pos >= len(text):
            tokens.append(Token("end", "", pos))
            return tokens
        known = firsts is None or text[pos] in firsts
        name = _known_name(text, pos, spaced) if known else None
        if name is not None:
            tokens.append(Token("name", name, pos))
            pos += len(name)
            continue
        for kind, pattern in (("num", _NUMBER), ("str", _STRING), ("name", _NAME)):
            match = pattern.match(text, pos)
            if match is not None:
                tokens.append(Token(kind, match.group(), pos))
                pos = match.end()
                break
        else:
            op = next((o for o in _OPS if text.startswith(o, pos)), None)
            if op is None:
                raise FeelSyntaxError(f"unexpected {text[pos]!r} at column {pos + 1} of {text!r}")
            tokens.append(Token("op", op, pos))
            pos += len(op)


@functools.lru_cache(maxsize=256)
def _spaced(names: tuple[str, ...]) -> tuple[tuple[str, ...], frozenset[str] | None]:
    """The names with spaces (or other non-name characters), longest first, and the characters
    a known name or spaced built-in starts with (None: any, for an empty name). The same few
    sets come again and again (the built-in properties, one DMN model's inputs): worked out once."""
    spaced = tuple(sorted({n for n in names if _NAME.fullmatch(n) is None}, key=len, reverse=True))
    # A known name starts with its first character: elsewhere there is none to look for.
    starts = {n[0] for n in spaced} | _FUNCTIONS_BY_FIRST.keys()
    firsts = None if "" in spaced else frozenset(starts)
    return spaced, firsts


def _ends_name(text: str, end: int) -> bool:
    return end >= len(text) or not (text[end].isalnum() or text[end] == "_")


def _known_name(text: str, pos: int, spaced: tuple[str, ...]) -> str | None:
    for name in spaced:
        if text.startswith(name, pos) and _ends_name(text, pos + len(name)):
            return name
    for name in _FUNCTIONS_BY_FIRST.get(text[pos], ()):
        end = pos + len(name)
        if text.startswith(name, pos) and _CALL_AHEAD.match(text, end):
            return name
    return None


def unescape(token: str) -> str:
    """A FEEL string literal's value (``\\n``, ``\\"``, ``\\u00e9``)."""
    body, out, i = token[1:-1], [], 0
    escapes = {"n": "\n", "t": "\t", "r": "\r"}
    while i < len(body):
        if body[i] == "\\" and i + 1 < len(body):
            nxt = body[i + 1]
            if nxt == "u" and re.fullmatch(r"[0-9a-fA-F]{4}", body[i + 2 : i + 6]):
                out.append(chr(int(body[i + 2 : i + 6], 16)))
                i += 6
                continue
            out.append(escapes.get(nxt, nxt))
            i += 2
        else:
            out.append(body[i])
            i += 1
    return "".join(out)
