"""Any text is either FEEL the parser reads or a ``FeelSyntaxError``; what it reads is JSON and
evaluates to a value or an ``ExpressionError``: never another exception (a crash in the workflow
would be a failed workflow task, retried forever, rather than an incident)."""

from __future__ import annotations

import json
from contextlib import suppress

from hypothesis import given, settings
from hypothesis import strategies as st

from shenpi_core import feel_eval
from shenpi_core.expressions import ExpressionError, evaluate
from shenpi_core.feel_lexer import FeelSyntaxError
from shenpi_core.feel_parser import feel_root, parse_feel, parse_unary_tests

TOKENS = [
    "1", "2.5", "-", "+", "*", "/", "**", "(", ")", "[", "]", "{", "}", ",", ".", "..", ":",
    "x", "y", "item", "?", '"a"', '"b c"', "and", "or", "not", "in", "between", "if", "then",
    "else", "for", "return", "some", "every", "satisfies", "instance", "of", "number", "true",
    "false", "null", "=", "!=", "<", "<=", ">", ">=", '@"2020-01-01"', 'date("2020-01-31")',
    'duration("P1M")', "count", "sum", "substring", "string length", "date and time",
    "list contains", "sort", "distinct values", "matches", '"(a+)+"', "x.a", "[1,2,3]",
    "{a: 1}", "partial", "modulo", "]", "[",
]  # fmt: skip
VARIABLES = {"x": [1, {"a": 2}, "s"], "y": "text", "n": None}


@settings(max_examples=400, derandomize=True, deadline=None)
@given(st.lists(st.sampled_from(TOKENS), min_size=1, max_size=10))
def test_parsing_and_evaluating_never_crash(tokens: list[str]) -> None:
    text = " ".join(tokens)
    try:
        ast = parse_feel(text)
    except FeelSyntaxError:
        ast = None
    if ast is not None:
        json.dumps(ast)
        with suppress(ExpressionError):
            evaluate(feel_root(ast), VARIABLES)
    try:
        tests = parse_unary_tests(text)
    except FeelSyntaxError:
        return
    json.dumps(tests)
    with suppress(ExpressionError):
        feel_eval.test_input(tests, 5, feel_eval.Scope(VARIABLES, json=True))
