"""Decision tables (DMN 1.3 §8): match the rules, then apply the hit policy.

A rule matches when every input entry's unary test is true for its input's value (null and false
both mean no match). Single-hit policies give one result (a value, or a context when the table has
several outputs); multiple-hit policies a list, or one number with a COLLECT aggregation.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from shenpi_core.decision_plan import Rule, TableLogic
from shenpi_core.expression_errors import ExpressionError
from shenpi_core.feel_builtins import call
from shenpi_core.feel_eval import Scope, evaluate_feel, test_input
from shenpi_core.feel_values import equal


class DecisionError(ExpressionError):
    """A decision cannot give a result: its table's hit policy is broken, or it does not exist."""


def evaluate_table(table: TableLogic, scope: Scope) -> Any:
    values = [evaluate_feel(i.ast, scope) for i in table.inputs]
    matched = [rule for rule in table.rules if _matches(rule, values, scope)]
    results = [_outputs(table, rule, scope) for rule in matched]
    policy = table.hit_policy
    if not results and any(o.default is not None for o in table.outputs):
        return _default(table, scope)
    if policy in ("UNIQUE", "ANY", "FIRST", "PRIORITY"):
        if not results:
            return _default(table, scope)
        if policy == "UNIQUE" and len(results) > 1:
            ids = ", ".join(str(r.id) for r in matched)
            raise DecisionError(f"UNIQUE table: {len(results)} rules match ({ids})")
        if policy == "ANY" and any(equal(r, results[0]) is not True for r in results[1:]):
            raise DecisionError("ANY table: the matching rules give different outputs")
        if policy == "PRIORITY":
            return min(results, key=lambda r: _priority(table, r, scope))
        return results[0]
    if policy == "OUTPUT ORDER":
        return sorted(results, key=lambda r: _priority(table, r, scope))
    if policy == "COLLECT" and table.aggregation is not None:
        return _aggregate(table, results)
    return results  # RULE ORDER, COLLECT


def _matches(rule: Rule, values: list[Any], scope: Scope) -> bool:
    return all(
        test_input(test, value, scope) is True
        for test, value in zip(rule.tests, values, strict=True)
    )


def _outputs(table: TableLogic, rule: Rule, scope: Scope) -> Any:
    values = [evaluate_feel(ast, scope) for ast in rule.outputs]
    return _shape(table, values)


def _shape(table: TableLogic, values: list[Any]) -> Any:
    if len(table.outputs) == 1:
        return values[0]
    return {str(o.name): v for o, v in zip(table.outputs, values, strict=True)}


def _default(table: TableLogic, scope: Scope) -> Any:
    if all(o.default is None for o in table.outputs):
        return None
    values = [None if o.default is None else evaluate_feel(o.default, scope) for o in table.outputs]
    return _shape(table, values)


def _priority(table: TableLogic, result: Any, scope: Scope) -> tuple[int, ...]:
    """Per output, the position of the result's value in its output values (unlisted: last)."""
    values = [result] if len(table.outputs) == 1 else [result[str(o.name)] for o in table.outputs]
    key = []
    for output, value in zip(table.outputs, values, strict=True):
        rank = next(
            (i for i, t in enumerate(output.priorities) if test_input(t, value, scope) is True),
            len(output.priorities),
        )
        key.append(rank)
    return tuple(key)


def _aggregate(table: TableLogic, results: list[Any]) -> Any:
    if len(table.outputs) != 1:
        raise DecisionError("a COLLECT aggregation needs a table with one output")
    if table.aggregation == "COUNT":
        return Decimal(len(call("distinct values", [results]) or []))
    values = [v for v in results if v is not None]
    if not values:
        return None
    name = {"SUM": "sum", "MIN": "min", "MAX": "max"}[str(table.aggregation)]
    result = call(name, [values])
    if result is None:
        raise DecisionError(f"COLLECT {table.aggregation}: the outputs are not all numbers")
    return result
