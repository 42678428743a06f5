"""Compile expression text (JUEL ``${...}``, FEEL ``= ...``, plain) into the JSON AST.

The workflow only ever *evaluates* the AST (``shenpi_core.expressions``); all parsing happens here,
at compile time, with one lark grammar (``expression.lark``) for the common subset of the three
dialects. A text the grammar cannot read is an ``ExpressionSyntaxError`` that the check rules turn
into a diagnostic with the element id and line.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from bpmn_compiler.memo import once
from bpmn_compiler.model import RawText
from bpmn_compiler.validated import validated
from shenpi_core.expression_ast import DIRECTORY_ARITY, ExpressionSyntaxError, lit, op, parse_ast
from shenpi_core.feel_lexer import FeelSyntaxError
from shenpi_core.feel_parser import feel_root, parse_feel
from shenpi_core.process_plan import Expression

__all__ = [
    "ExpressionSyntaxError",
    "UnsupportedLanguageError",
    "compile_condition",
    "compile_feel",
    "compile_value",
    "parse_ast",
    "split_template",
]

FEEL_LANGUAGES = frozenset({"feel", "http://www.omg.org/spec/feel/20140401", "friendly-enough"})
JUEL_LANGUAGES = frozenset({"juel", "http://www.omg.org/spec/juel", "${}", "el"})


class UnsupportedLanguageError(ExpressionSyntaxError):
    """A ``language`` attribute naming something other than JUEL or FEEL (JavaScript, XPath)."""


_SPECIAL = re.compile(r"""['"{}\\]""")  # what ``_closing_brace`` looks at


def split_template(text: str) -> list[tuple[bool, str]]:
    """Split ``"a ${x} b"`` into ``[(False, "a "), (True, "x"), (False, " b")]``."""
    parts: list[tuple[bool, str]] = []
    pos = 0
    while True:
        starts = [i for i in (text.find("${", pos), text.find("#{", pos)) if i >= 0]
        if not starts:
            break
        start = min(starts)
        if start > pos:
            parts.append((False, text[pos:start]))
        end = _closing_brace(text, start + 2)
        parts.append((True, text[start + 2 : end]))
        pos = end + 1
    if pos < len(text):
        parts.append((False, text[pos:]))
    return parts


def _closing_brace(text: str, pos: int) -> int:
    """The ``}`` that closes the ``${`` before ``pos``: quotes (with backslash escapes) and
    nested braces skipped. Only quotes, braces and backslashes matter, so only they are visited."""
    depth, quote, escaped = 0, "", -1
    for match in _SPECIAL.finditer(text, pos):
        at = match.start()
        if at == escaped:
            continue  # the character after a backslash inside a quote
        ch = text[at]
        if quote:
            if ch == "\\":
                escaped = at + 1
            elif ch == quote:
                quote = ""
        elif ch in "'\"":
            quote = ch
        elif ch == "{":
            depth += 1
        elif ch == "}":
            if depth == 0:
                return at
            depth -= 1
    raise ExpressionSyntaxError(f"unterminated expression in {text!r}: missing '}}'")


def _dialect(raw: RawText) -> str:
    """``feel``, ``juel`` or ``plain``; raises for a declared language we do not read."""
    language = (raw.language or "").strip().lower()
    if language in FEEL_LANGUAGES:
        return "feel"
    if language in JUEL_LANGUAGES:
        return "juel"
    if language:
        raise UnsupportedLanguageError(
            f"expression language {raw.language!r} is unsupported (use JUEL, FEEL or plain)"
        )
    text = raw.text.strip()
    if text.startswith("="):
        return "feel"
    return "juel" if "${" in text or "#{" in text else "plain"


def _expression(source: str, dialect: str, ast: object) -> Expression:
    return validated(Expression, {"source": source, "dialect": dialect, "ast": ast})


def compile_feel(text: str) -> object:
    """FEEL text (after its ``=``) → the AST, with FEEL's own grammar and semantics.

    FEEL used to share the JUEL grammar; plans compiled then keep their old AST and evaluate as
    before (docs/compiler.md "FEEL").
    """
    try:
        return feel_root(parse_feel(text.strip(), directory=DIRECTORY_ARITY))
    except FeelSyntaxError as err:
        raise ExpressionSyntaxError(err.message) from None


def _memoized(
    kind: str, raw: RawText, as_list: bool, build: Callable[[], Expression]
) -> Expression:
    """``build()``, once per compile for each text: the check rules and ``plan`` both compile
    every expression, and a text that does not parse fails the same way each time."""
    return once(kind, (raw.text, raw.language, as_list), build, ExpressionSyntaxError)


def compile_condition(raw: RawText) -> Expression:
    """A sequence-flow condition (or any expression that must be a single expression)."""
    return _memoized("condition", raw, False, lambda: _condition(raw))


def _condition(raw: RawText) -> Expression:
    dialect = _dialect(raw)
    text = raw.text.strip()
    if dialect == "feel":
        ast = compile_feel(text[1:] if text.startswith("=") else text)
    elif dialect == "juel" and ("${" in text or "#{" in text):
        parts = split_template(text)
        if len(parts) != 1 or not parts[0][0]:
            raise ExpressionSyntaxError(f"{text!r} must be one ${{...}} expression, not a template")
        ast = parse_ast(parts[0][1])
    else:
        ast = parse_ast(text)
    return _expression(raw.text, dialect, ast)


def compile_value(raw: RawText, *, as_list: bool = False) -> Expression:
    """An attribute value: an expression if it looks like one, else a literal.

    ``as_list``: a literal is a comma-separated list (candidate users and groups).
    """
    return _memoized("value", raw, as_list, lambda: _value(raw, as_list=as_list))


def _value(raw: RawText, *, as_list: bool) -> Expression:
    text = raw.text.strip()
    if text.startswith("="):
        return _expression(raw.text, "feel", compile_feel(text[1:]))
    if (raw.language or "").strip().lower() in FEEL_LANGUAGES:
        # Declared FEEL without Zeebe's `=` (a Camunda 7 `scriptFormat="feel"` script).
        return _expression(raw.text, "feel", compile_feel(text))
    if "${" not in text and "#{" not in text:
        if as_list:
            items = [item.strip() for item in text.split(",") if item.strip()]
            return _expression(raw.text, "literal", lit(items))
        return _expression(raw.text, "literal", lit(text))
    parts = split_template(text)
    if len(parts) == 1:
        return _expression(raw.text, "juel", parse_ast(parts[0][1]))
    pieces = [
        {"call": "string", "args": [parse_ast(p)]} if is_expr else lit(p) for is_expr, p in parts
    ]
    ast = pieces[0]
    for piece in pieces[1:]:
        ast = op("add", ast, piece)
    return _expression(raw.text, "juel", ast)
