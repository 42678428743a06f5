"""The workflow-side evaluator of compiled expressions: semantics, strictness and errors."""

from __future__ import annotations

from typing import Any

import pytest

from shenpi_core.expressions import ExpressionError, evaluate, evaluate_bool


def lit(value: Any) -> dict[str, Any]:
    return {"lit": value}


def var(*path: str) -> dict[str, Any]:
    return {"var": list(path)}


def op(name: str, *args: Any) -> dict[str, Any]:
    return {"op": name, "args": list(args)}


def call(name: str, *args: Any) -> dict[str, Any]:
    return {"call": name, "args": list(args)}


VARS: dict[str, Any] = {
    "amount": 1500,
    "rate": 0.5,
    "name": "Alice",
    "approved": True,
    "tags": ["urgent", "it"],
    "order": {"amount": 20, "lines": [{"sku": "a"}, {"sku": "b"}]},
    "nothing": None,
    "blank": "",
}


@pytest.mark.parametrize(
    ("ast", "expected"),
    [
        (lit(3), 3),
        (var("amount"), 1500),
        (var("order", "amount"), 20),
        (op("gt", var("amount"), lit(1000)), True),
        (op("le", var("amount"), lit(1000.0)), False),
        (op("eq", var("order", "amount"), lit(20.0)), True),
        (op("ne", var("name"), lit("Bob")), True),
        (op("eq", var("nothing"), lit(None)), True),
        (op("eq", var("name"), lit(None)), False),
        (op("lt", lit("2026-01-01"), lit("2026-02-01")), True),
        (op("add", var("amount"), var("rate")), 1500.5),
        (op("add", lit("a"), lit("b")), "ab"),
        (op("add", var("tags"), lit(["x"])), ["urgent", "it", "x"]),
        (op("sub", lit(10), lit(4)), 6),
        (op("mul", lit(3), var("rate")), 1.5),
        (op("div", lit(10), lit(4)), 2.5),
        (op("mod", lit(10), lit(4)), 2),
        (op("neg", var("amount")), -1500),
        (op("in", lit("it"), var("tags")), True),
        (op("in", lit("lic"), var("name")), True),
        (op("in", lit("amount"), var("order")), True),
        (op("cond", var("approved"), lit("yes"), lit("no")), "yes"),
        (op("index", var("tags"), lit(1)), "it"),
        (op("index", op("index", var("order", "lines"), lit(0)), lit("sku")), "a"),
        (op("list", lit(1), var("amount")), [1, 1500]),
        (op("not", var("approved")), False),
        (op("and", var("approved"), op("gt", var("amount"), lit(1))), True),
        (op("or", lit(False), lit(False)), False),
    ],
)
def test_operators_evaluate_to_expected_value(ast: Any, expected: Any) -> None:
    assert evaluate(ast, VARS) == expected


@pytest.mark.parametrize(
    ("ast", "expected"),
    [
        (op("empty", var("missing")), True),
        (op("empty", var("nothing")), True),
        (op("empty", var("blank")), True),
        (op("empty", lit([])), True),
        (op("empty", lit({})), True),
        (op("empty", var("name")), False),
        (op("empty", lit(0)), False),
    ],
)
def test_empty_follows_juel_including_missing_variables(ast: Any, expected: bool) -> None:
    assert evaluate(ast, VARS) is expected


@pytest.mark.parametrize(
    ("ast", "expected"),
    [
        (call("len", var("tags")), 2),
        (call("size", var("name")), 5),
        (call("count", var("order")), 2),
        (call("string_length", lit("abc")), 3),
        (call("contains", var("tags"), lit("urgent")), True),
        (call("contains", var("name"), lit("z")), False),
        (call("list_contains", var("tags"), lit("it")), True),
        (call("lower", var("name")), "alice"),
        (call("upper", var("name")), "ALICE"),
        (call("trim", lit("  x ")), "x"),
        (call("string", var("amount")), "1500"),
        (call("string", lit(2.0)), "2"),
        (call("string", lit(True)), "true"),
        (call("string", lit(None)), "null"),
        (call("number", lit("42")), 42),
        (call("number", lit(" 4.5 ")), 4.5),
        (call("number", lit(7)), 7),
        (call("not", lit(False)), True),
        (call("sum", lit([1, 2, 3.5])), 6.5),
        (call("sum", lit(1), lit(2)), 3),
        (call("sum", lit([])), 0),
        (call("min", lit([3, 1, 2])), 1),
        (call("max", lit(3), lit(9)), 9),
        (call("abs", lit(-4)), 4),
        (call("floor", lit(2.7)), 2),
        (call("ceiling", lit(2.1)), 3),
        (call("starts_with", var("name"), lit("Al")), True),
        (call("ends_with", var("name"), lit("x")), False),
        (call("is_defined", var("amount")), True),
        (call("is_defined", var("nothing")), True),
        (call("is_defined", var("missing")), False),
        (call("is_defined", var("order", "missing")), False),
    ],
)
def test_whitelisted_functions(ast: Any, expected: Any) -> None:
    assert evaluate(ast, VARS) == expected


def test_and_short_circuits_before_a_missing_variable() -> None:
    ast = op("and", lit(False), op("gt", var("missing"), lit(1)))
    assert evaluate_bool(ast, VARS) is False


def test_or_short_circuits_before_a_type_error() -> None:
    ast = op("or", lit(True), op("gt", lit("a"), lit(1)))
    assert evaluate_bool(ast, VARS) is True


def test_cond_evaluates_only_the_chosen_branch() -> None:
    ast = op("cond", lit(False), var("missing"), lit("fallback"))
    assert evaluate(ast, VARS) == "fallback"


@pytest.mark.parametrize(
    ("ast", "message"),
    [
        (var("missing"), "unknown variable 'missing'"),
        (var("order", "nope"), "unknown variable 'order.nope'"),
        (var("name", "length"), "unknown variable 'name.length'"),
        (op("gt", var("name"), lit(5)), "cannot order string"),
        (op("eq", lit("5"), lit(5)), "cannot compare string"),
        (op("eq", lit(True), lit(1)), "cannot compare boolean"),
        (op("lt", lit(None), lit(5)), "cannot order null"),
        (op("add", lit("a"), lit(1)), "expects a number"),
        (op("sub", lit(True), lit(1)), "expects a number"),
        (op("div", lit(1), lit(0)), "division by zero"),
        (op("mod", lit(1), lit(0)), "division by zero"),
        (op("and", lit(1), lit(True)), "expects a boolean"),
        (op("not", lit("x")), "expects a boolean"),
        (op("pow", lit(2), lit(3)), "unknown operator 'pow'"),
        (op("gt", lit(1)), "takes 2 operand(s)"),
        (op("index", var("tags"), lit(5)), "out of range"),
        (op("index", var("order"), lit("zzz")), "unknown key 'zzz'"),
        (op("index", var("amount"), lit(0)), "cannot index number"),
        (op("in", lit(1), lit(2)), "'in' expects a list"),
        (call("eval", lit("1+1")), "unknown function 'eval'"),
        (call("len", lit(5)), "size expects"),
        (call("lower", lit(5)), "expects a string"),
        (call("number", lit("abc")), "cannot convert"),
        (call("number", lit("nan")), "cannot convert"),
        (call("min", lit([])), "empty list"),
        (call("abs", lit(1), lit(2)), "takes 1 argument"),
        ("not a node", "malformed expression"),
        ({"var": []}, "malformed variable path"),
        ({"zzz": 1}, "malformed expression"),
    ],
)
def test_errors_are_expression_errors_with_a_message(ast: Any, message: str) -> None:
    with pytest.raises(ExpressionError) as err:
        evaluate(ast, VARS)
    assert message in err.value.message


@pytest.mark.parametrize("value", [None, 1, "true", []])
def test_condition_that_is_not_boolean_is_an_error(value: Any) -> None:
    with pytest.raises(ExpressionError, match="not a boolean"):
        evaluate_bool(lit(value), {})


def test_deep_nesting_is_an_expression_error_not_a_crash() -> None:
    ast: Any = lit(True)
    for _ in range(5000):
        ast = op("not", ast)
    with pytest.raises(ExpressionError, match="nested too deeply"):
        evaluate(ast, {})


def test_evaluation_does_not_mutate_variables() -> None:
    variables = {"tags": ["a"]}
    result = evaluate(op("add", var("tags"), lit(["b"])), variables)
    assert result == ["a", "b"]
    assert variables == {"tags": ["a"]}


def test_evaluator_imports_only_the_standard_library() -> None:
    """It runs inside the Temporal workflow sandbox: no third-party imports, and of the project
    only ``shenpi_core`` modules that themselves import only the standard library (the FEEL
    evaluator and its values), followed all the way down."""
    import ast
    import sys
    from pathlib import Path

    import shenpi_core

    package = Path(shenpi_core.__file__).parent
    allowed = set(sys.stdlib_module_names) | {"__future__"}
    seen: set[str] = set()
    todo = ["shenpi_core.expressions"]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        path = package / f"{name.split('.', 1)[1]}.py"
        tree = ast.parse(path.read_text(encoding="utf-8"))
        imported = {
            (node.module or "") if isinstance(node, ast.ImportFrom) else alias.name
            for node in ast.walk(tree)
            if isinstance(node, ast.Import | ast.ImportFrom)
            for alias in node.names
        }
        ours = {m for m in imported if m.startswith("shenpi_core.")}
        # `from shenpi_core import feel_arith` names the modules as aliases
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module == "shenpi_core":
                ours |= {f"shenpi_core.{alias.name}" for alias in node.names}
        todo.extend(ours)
        roots = {m.split(".")[0] for m in imported - ours if m != "shenpi_core"}
        assert roots <= allowed, (name, roots)
    assert "shenpi_core.feel_eval" in seen  # the walk did follow the project's imports


def test_list_literals_are_fresh_copies_for_every_evaluation() -> None:
    ast = lit(["a"])
    first = evaluate(ast, {})
    first.append("mutated")
    assert evaluate(ast, {}) == ["a"]


def test_a_list_is_never_a_key_of_a_context() -> None:
    assert evaluate(op("in", lit([1]), var("order")), VARS) is False


def test_python_level_failure_becomes_an_expression_error() -> None:
    infinite = op("mul", lit(1e308), lit(10.0))
    with pytest.raises(ExpressionError, match="cannot evaluate"):
        evaluate(call("floor", infinite), VARS)
