"""Pass helper: one expression body → the JSON AST of the grammar ``expression.lark``.

``_ToAst`` maps every spelling of the three dialects (JUEL, FEEL, plain) onto the AST nodes
documented in ``process_plan.py``; unknown functions and methods are refused here, at compile time.
The hand-written reader (``expression_fast``) parses what it is sure of; lark
(``expression_lark``) the rest, and words every syntax error.
"""

from __future__ import annotations

import math
from typing import Any

from shenpi_core.expression_fast import fast_parse
from shenpi_core.expressions import DIRECTORY_FUNCTIONS, FUNCTION_NAMES

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
# Directory lookups (run by the shenpi-directory activity): name -> (min, max) argument count.
DIRECTORY_ARITY = {
    "manager": (1, 2), "members": (1, 1), "dept_leader": (1, 1), "department": (1, 1),
}  # fmt: skip
_DIRECTORY_ARITY = DIRECTORY_ARITY  # the name the directory tests import

MAX_DEPTH = 64


class ExpressionSyntaxError(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def lit(value: Any) -> dict[str, Any]:
    return {"lit": value}


def op(name: str, *args: Any) -> dict[str, Any]:
    return {"op": name, "args": list(args)}


def _unescape(token: str) -> str:
    body, out, i = token[1:-1], [], 0
    if "\\" not in body:
        return body  # nothing escaped: the walk below would copy it as it is
    escapes = {"n": "\n", "t": "\t", "r": "\r"}
    while i < len(body):
        if body[i] == "\\" and i + 1 < len(body):
            out.append(escapes.get(body[i + 1], body[i + 1]))
            i += 2
        else:
            out.append(body[i])
            i += 1
    return "".join(out)


class _ToAst:
    """One method per rule of ``expression.lark`` that builds a node: the lark parser reduces
    with them (``expression_lark``), and so does the hand-written reader (``expression_fast``)."""

    def number(self, tok: str) -> dict[str, Any]:
        text = str(tok)
        try:  # Python refuses int() of more than 4300 digits, float() of an int past 1e308
            value = int(text) if text.isdigit() else float(text)
            finite = math.isfinite(value)
        except (ValueError, OverflowError):
            finite = False
        if not finite:  # JSON has no infinity: the plan would carry null instead
            raise ExpressionSyntaxError(f"number {text[:20]} is out of range")
        return lit(value)

    def string(self, tok: str) -> dict[str, Any]:
        return lit(_unescape(str(tok)))

    def true(self) -> dict[str, Any]:
        return lit(True)

    def false(self) -> dict[str, Any]:
        return lit(False)

    def null(self) -> dict[str, Any]:
        return lit(None)

    def var(self, name: str) -> dict[str, Any]:
        return {"var": [str(name)]}

    def attr(self, base: dict[str, Any], name: str) -> dict[str, Any]:
        if "var" in base:
            return {"var": [*base["var"], str(name)]}
        return op("index", base, lit(str(name)))

    def index(self, base: Any, key: Any) -> dict[str, Any]:
        return op("index", base, key)

    def args(self, *items: Any) -> Any:
        return [*items]

    def list(self, items: Any) -> dict[str, Any]:
        return op("list", *(items or []))

    def call(self, name: str, items: Any) -> dict[str, Any]:
        fn = _FEEL_FUNCTIONS.get(" ".join(str(name).split()), str(name))
        if fn in DIRECTORY_ARITY:
            low, high = DIRECTORY_ARITY[fn]
            if not low <= len(items or []) <= high:
                wanted = str(low) if low == high else f"{low} to {high}"
                raise ExpressionSyntaxError(
                    f"{fn}() takes {wanted} argument(s), got {len(items or [])}"
                )
            return {"call": fn, "args": items or []}
        if fn not in FUNCTION_NAMES:
            known = ", ".join(sorted(FUNCTION_NAMES | DIRECTORY_FUNCTIONS))
            raise ExpressionSyntaxError(f"unknown function {str(name)!r} (known: {known})")
        return {"call": fn, "args": items or []}

    def method(self, base: Any, name: str, items: Any) -> dict[str, Any]:
        args: Any = items or []
        if str(name) == "equals" and len(args) == 1:
            return op("eq", base, args[0])
        if str(name) == "isEmpty" and not args:
            return op("empty", base)
        fn, arity = _METHODS.get(str(name), ("", -1))
        if arity != len(args):
            raise ExpressionSyntaxError(f"unsupported method call .{name}() with {len(args)} args")
        return {"call": fn, "args": [base, *args]}

    def compare(self, left: Any, operator: Any, right: Any) -> dict[str, Any]:
        return self.binary(str(operator.children[0]), left, right)

    arith = compare

    def binary(self, symbol: str, left: Any, right: Any) -> dict[str, Any]:
        return op(_OPERATORS[symbol], left, right)

    def in_(self, item: Any, container: Any) -> dict[str, Any]:
        return op("in", item, container)

    def not_in(self, item: Any, container: Any) -> dict[str, Any]:
        return op("not", op("in", item, container))

    def neg(self, value: Any) -> dict[str, Any]:
        if "lit" in value and isinstance(value["lit"], int | float):
            return lit(-value["lit"])
        return op("neg", value)

    def not_(self, value: Any) -> dict[str, Any]:
        return op("not", value)

    def empty(self, value: Any) -> dict[str, Any]:
        return op("empty", value)

    def and_(self, left: Any, right: Any) -> dict[str, Any]:
        return op("and", left, right)

    def or_(self, left: Any, right: Any) -> dict[str, Any]:
        return op("or", left, right)

    def cond(self, test: Any, then: Any, otherwise: Any) -> dict[str, Any]:
        return op("cond", test, then, otherwise)


def parse_ast(body: str) -> Any:
    """Parse one expression body (no ``${}``, no leading ``=``) into the JSON AST."""
    body = body.strip()
    if not body:
        raise ExpressionSyntaxError("empty expression")
    ast = fast_parse(body, _BUILD)
    if ast is None:  # a text the reader is not sure of, or a syntax error for lark to word
        from shenpi_core.expression_lark import lark_parse

        ast = lark_parse(body)
    # Every level of the AST has a token of its own (an operator, a bracket, a name), and a
    # token at least a character: a text this short cannot nest too deep.
    if len(body) > MAX_DEPTH and _depth(ast) > MAX_DEPTH:
        raise ExpressionSyntaxError(f"expression nested deeper than {MAX_DEPTH} levels")
    return ast


_BUILD = _ToAst()


def _depth(ast: Any) -> int:
    """Nesting depth, so the workflow's recursive evaluator stays far from Python's limit."""
    deepest, stack = 0, [(ast, 1)]
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        if isinstance(node, dict):
            stack.extend((child, depth + 1) for child in node.get("args", ()))
    return deepest
