"""Compile expression text (JUEL ``${...}``, FEEL ``= ...``, plain) into the JSON AST.

The workflow only ever *evaluates* the AST (``workflows.expressions``); all parsing happens here,
at compile time, with one lark grammar (``expression.lark``) for the common subset of the three
dialects. A text the grammar cannot read is an ``ExpressionSyntaxError`` that the check rules turn
into a diagnostic with the element id and line.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from lark import Lark, Token, Transformer, v_args
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, VisitError

from bpmn_compiler.model import RawText
from bpmn_compiler.process_plan import Expression
from workflows.expressions import FUNCTION_NAMES

FEEL_LANGUAGES = frozenset({"feel", "http://www.omg.org/spec/feel/20140401", "friendly-enough"})
JUEL_LANGUAGES = frozenset({"juel", "http://www.omg.org/spec/juel", "${}", "el"})
_OPERATORS = {
    "==": "eq", "=": "eq", "eq": "eq", "!=": "ne", "<>": "ne", "ne": "ne",
    "<": "lt", "lt": "lt", "<=": "le", "le": "le", ">": "gt", "gt": "gt", ">=": "ge", "ge": "ge",
    "+": "add", "-": "sub", "*": "mul", "/": "div", "div": "div", "%": "mod", "mod": "mod",
}  # fmt: skip
_FEEL_FUNCTIONS = {
    "string length": "string_length", "upper case": "upper", "lower case": "lower",
    "starts with": "starts_with", "ends with": "ends_with", "list contains": "list_contains",
    "is defined": "is_defined",
}  # fmt: skip
# JUEL method calls on a value: name -> (function, arity without the receiver).
_METHODS = {
    "contains": ("contains", 1), "startsWith": ("starts_with", 1), "endsWith": ("ends_with", 1),
    "toLowerCase": ("lower", 0), "toUpperCase": ("upper", 0), "trim": ("trim", 0),
    "size": ("size", 0), "length": ("size", 0),
}  # fmt: skip


MAX_DEPTH = 64


class ExpressionSyntaxError(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class UnsupportedLanguageError(ExpressionSyntaxError):
    """A ``language`` attribute naming something other than JUEL or FEEL (JavaScript, XPath)."""


@lru_cache(maxsize=1)
def _parser() -> Lark:
    grammar = (Path(__file__).with_name("expression.lark")).read_text(encoding="utf-8")
    return Lark(grammar, parser="lalr", maybe_placeholders=True)


def _lit(value: Any) -> dict[str, Any]:
    return {"lit": value}


def _op(name: str, *args: Any) -> dict[str, Any]:
    return {"op": name, "args": list(args)}


def _unescape(token: str) -> str:
    body, out, i = token[1:-1], [], 0
    escapes = {"n": "\n", "t": "\t", "r": "\r"}
    while i < len(body):
        if body[i] == "\\" and i + 1 < len(body):
            out.append(escapes.get(body[i + 1], body[i + 1]))
            i += 2
        else:
            out.append(body[i])
            i += 1
    return "".join(out)


@v_args(inline=True)
class _ToAst(Transformer[Token, Any]):
    def number(self, tok: Token) -> dict[str, Any]:
        text = str(tok)
        return _lit(int(text) if text.isdigit() else float(text))

    def string(self, tok: Token) -> dict[str, Any]:
        return _lit(_unescape(str(tok)))

    def true(self) -> dict[str, Any]:
        return _lit(True)

    def false(self) -> dict[str, Any]:
        return _lit(False)

    def null(self) -> dict[str, Any]:
        return _lit(None)

    def var(self, name: Token) -> dict[str, Any]:
        return {"var": [str(name)]}

    def attr(self, base: dict[str, Any], name: Token) -> dict[str, Any]:
        if "var" in base:
            return {"var": [*base["var"], str(name)]}
        return _op("index", base, _lit(str(name)))

    def index(self, base: Any, key: Any) -> dict[str, Any]:
        return _op("index", base, key)

    def args(self, *items: Any) -> Any:
        return [*items]

    def list(self, items: Any) -> dict[str, Any]:
        return _op("list", *(items or []))

    def call(self, name: Token, items: Any) -> dict[str, Any]:
        fn = _FEEL_FUNCTIONS.get(" ".join(str(name).split()), str(name))
        if fn not in FUNCTION_NAMES:
            known = ", ".join(sorted(FUNCTION_NAMES))
            raise ExpressionSyntaxError(f"unknown function {str(name)!r} (known: {known})")
        return {"call": fn, "args": items or []}

    def method(self, base: Any, name: Token, items: Any) -> dict[str, Any]:
        args: Any = items or []
        if str(name) == "equals" and len(args) == 1:
            return _op("eq", base, args[0])
        if str(name) == "isEmpty" and not args:
            return _op("empty", base)
        fn, arity = _METHODS.get(str(name), ("", -1))
        if arity != len(args):
            raise ExpressionSyntaxError(f"unsupported method call .{name}() with {len(args)} args")
        return {"call": fn, "args": [base, *args]}

    def compare(self, left: Any, op: Any, right: Any) -> dict[str, Any]:
        return _op(_OPERATORS[str(op.children[0])], left, right)

    arith = compare

    def in_(self, item: Any, container: Any) -> dict[str, Any]:
        return _op("in", item, container)

    def not_in(self, item: Any, container: Any) -> dict[str, Any]:
        return _op("not", _op("in", item, container))

    def neg(self, value: Any) -> dict[str, Any]:
        if "lit" in value and isinstance(value["lit"], int | float):
            return _lit(-value["lit"])
        return _op("neg", value)

    def not_(self, value: Any) -> dict[str, Any]:
        return _op("not", value)

    def empty(self, value: Any) -> dict[str, Any]:
        return _op("empty", value)

    def and_(self, left: Any, right: Any) -> dict[str, Any]:
        return _op("and", left, right)

    def or_(self, left: Any, right: Any) -> dict[str, Any]:
        return _op("or", left, right)

    def cond(self, test: Any, then: Any, otherwise: Any) -> dict[str, Any]:
        return _op("cond", test, then, otherwise)


def parse_ast(body: str) -> Any:
    """Parse one expression body (no ``${}``, no leading ``=``) into the JSON AST."""
    body = body.strip()
    if not body:
        raise ExpressionSyntaxError("empty expression")
    try:
        ast = _ToAst().transform(_parser().parse(body))
    except VisitError as err:
        if isinstance(err.orig_exc, ExpressionSyntaxError):
            raise err.orig_exc from None
        raise
    except UnexpectedEOF:
        raise ExpressionSyntaxError(f"{body!r} ends too early") from None
    except UnexpectedCharacters as err:
        raise ExpressionSyntaxError(
            f"unexpected {body[err.pos_in_stream or 0]!r} at column {err.column} of {body!r}"
        ) from None
    except UnexpectedInput as err:
        token = getattr(err, "token", None)
        where = "end of input" if token is None or token.type == "$END" else repr(str(token))
        raise ExpressionSyntaxError(
            f"unexpected {where} at column {getattr(err, 'column', '?')} of {body!r}"
        ) from None
    except RecursionError:
        raise ExpressionSyntaxError("expression nested too deeply") from None
    if _depth(ast) > MAX_DEPTH:
        raise ExpressionSyntaxError(f"expression nested deeper than {MAX_DEPTH} levels")
    return ast


def _depth(ast: Any) -> int:
    """Nesting depth, so the workflow's recursive evaluator stays far from Python's limit."""
    deepest, stack = 0, [(ast, 1)]
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        if isinstance(node, dict):
            stack.extend((child, depth + 1) for child in node.get("args", ()))
    return deepest


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
    depth, quote = 0, ""
    while pos < len(text):
        ch = text[pos]
        if quote:
            if ch == "\\":
                pos += 1
            elif ch == quote:
                quote = ""
        elif ch in "'\"":
            quote = ch
        elif ch == "{":
            depth += 1
        elif ch == "}":
            if depth == 0:
                return pos
            depth -= 1
        pos += 1
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


def compile_condition(raw: RawText) -> Expression:
    """A sequence-flow condition (or any expression that must be a single expression)."""
    dialect = _dialect(raw)
    text = raw.text.strip()
    if dialect == "feel":
        ast = parse_ast(text[1:] if text.startswith("=") else text)
    elif dialect == "juel" and ("${" in text or "#{" in text):
        parts = split_template(text)
        if len(parts) != 1 or not parts[0][0]:
            raise ExpressionSyntaxError(f"{text!r} must be one ${{...}} expression, not a template")
        ast = parse_ast(parts[0][1])
    else:
        ast = parse_ast(text)
    return Expression(source=raw.text, dialect=dialect, ast=ast)


def compile_value(raw: RawText, *, as_list: bool = False) -> Expression:
    """An attribute value: an expression if it looks like one, else a literal.

    ``as_list``: a literal is a comma-separated list (candidate users and groups).
    """
    text = raw.text.strip()
    if text.startswith("="):
        return Expression(source=raw.text, dialect="feel", ast=parse_ast(text[1:]))
    if "${" not in text and "#{" not in text:
        if as_list:
            items = [item.strip() for item in text.split(",") if item.strip()]
            return Expression(source=raw.text, dialect="literal", ast=_lit(items))
        return Expression(source=raw.text, dialect="literal", ast=_lit(text))
    parts = split_template(text)
    if len(parts) == 1:
        return Expression(source=raw.text, dialect="juel", ast=parse_ast(parts[0][1]))
    pieces = [
        {"call": "string", "args": [parse_ast(p)]} if is_expr else _lit(p) for is_expr, p in parts
    ]
    ast = pieces[0]
    for piece in pieces[1:]:
        ast = _op("add", ast, piece)
    return Expression(source=raw.text, dialect="juel", ast=ast)
