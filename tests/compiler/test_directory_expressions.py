"""Directory functions: the compiler accepts them (arity checked), the evaluator runs them only
with the caller's lookups, and ``uses_directory`` tells the workflow to ask the activity."""

from __future__ import annotations

from typing import Any

import pytest

from bpmn_compiler.expressions import ExpressionSyntaxError, compile_condition, compile_value
from bpmn_compiler.model import RawText
from shenpi_core.expression_ast import _DIRECTORY_ARITY
from shenpi_core.expressions import (
    DIRECTORY_FUNCTIONS,
    ExpressionError,
    evaluate,
    evaluate_bool,
    uses_directory,
)

MANAGERS = {"alice": "bob", "bob": "carol", "carol": "dave"}
GROUPS = {"finance": ["erin", "frank"]}


def _manager(user: str, levels: int = 1) -> str:
    for _ in range(levels):
        user = MANAGERS[user]
    return user


DIRECTORY: dict[str, Any] = {
    "manager": _manager,
    "members": lambda group: list(GROUPS[group]),
    "dept_leader": lambda dept: {"sales": "carol"}[dept],
    "department": lambda user: "sales",
}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("${manager(initiator)}", "bob"),
        ("${manager(initiator, 2)}", "carol"),
        ("= manager(initiator, 3)", "dave"),
        ("${members('finance')}", ["erin", "frank"]),
        ("${dept_leader(department(initiator))}", "carol"),
        ("${[manager(initiator), 'zoe']}", ["bob", "zoe"]),
    ],
)
def test_directory_expression_evaluates_with_the_lookups(text: str, expected: Any) -> None:
    ast = compile_value(RawText(text)).ast
    assert uses_directory(ast)
    assert evaluate(ast, {"initiator": "alice"}, functions=DIRECTORY) == expected


def test_directory_call_without_the_lookups_needs_the_directory() -> None:
    ast = compile_value(RawText("${manager(initiator)}")).ast
    with pytest.raises(ExpressionError, match=r"manager\(\) needs the directory"):
        evaluate(ast, {"initiator": "alice"})


def test_directory_condition_evaluates_with_the_lookups() -> None:
    ast = compile_condition(RawText("${contains(members('finance'), approver)}")).ast
    assert evaluate_bool(ast, {"approver": "erin"}, functions=DIRECTORY) is True
    assert evaluate_bool(ast, {"approver": "alice"}, functions=DIRECTORY) is False


def test_extra_functions_cannot_replace_a_builtin() -> None:
    ast = compile_value(RawText("${len(tags)}")).ast
    assert evaluate(ast, {"tags": [1, 2]}, functions={"len": lambda _: 99}) == 2


def test_extra_function_outside_the_directory_is_callable_by_ast() -> None:
    ast = {"call": "double", "args": [{"lit": 4}]}
    assert evaluate(ast, {}, functions={"double": lambda x: 2 * x}) == 8
    with pytest.raises(ExpressionError, match="unknown function 'double'"):
        evaluate(ast, {})


@pytest.mark.parametrize(
    "text",
    ["${initiator}", "${len(members)}", "finance, legal", "${manager}", "${[1, 2]}"],
)
def test_expression_without_directory_calls_does_not_use_the_directory(text: str) -> None:
    assert not uses_directory(compile_value(RawText(text), as_list=True).ast)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("${manager()}", "manager() takes 1 to 2 argument(s), got 0"),
        ("${manager(a, 1, 2)}", "manager() takes 1 to 2 argument(s), got 3"),
        ("${members()}", "members() takes 1 argument(s), got 0"),
        ("${dept_leader('a', 'b')}", "dept_leader() takes 1 argument(s), got 2"),
        ("${department(a, b)}", "department() takes 1 argument(s), got 2"),
    ],
)
def test_directory_call_with_wrong_arity_is_a_compile_error(text: str, message: str) -> None:
    with pytest.raises(ExpressionSyntaxError) as err:
        compile_value(RawText(text))
    assert err.value.message == message


def test_compiler_knows_exactly_the_directory_functions() -> None:
    assert frozenset(_DIRECTORY_ARITY) == DIRECTORY_FUNCTIONS
