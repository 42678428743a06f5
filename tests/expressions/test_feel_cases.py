"""FEEL as a BPMN expression (``= ...``): the cases in ``feel_cases.yaml``, most from the spec.

Each case is compiled by the compiler's front door and evaluated the way the workflow does
(``shenpi_core.expressions.evaluate``), so the JSON a variable would hold is what is checked.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from bpmn_compiler.expressions import ExpressionSyntaxError, compile_feel
from shenpi_core.expressions import evaluate
from shenpi_core.feel_eval import Scope, evaluate_feel
from shenpi_core.feel_parser import parse_feel
from shenpi_core.feel_values import equal

CASES: list[dict[str, Any]] = yaml.safe_load(
    (Path(__file__).with_name("feel_cases.yaml")).read_text(encoding="utf-8")
)


def _exact(value: Any) -> str:
    """JSON with types kept apart (``1`` is not ``true``, ``2`` is not ``2.0``)."""
    return json.dumps(value, sort_keys=True)


def test_every_case_says_what_it_expects() -> None:
    kinds = {"expected", "equals", "refused"}
    assert all(len(kinds & set(case)) == 1 for case in CASES), "each case needs one expectation"
    assert len(CASES) > 150


@pytest.mark.parametrize("case", CASES, ids=lambda c: c["expr"])
def test_feel_case(case: dict[str, Any]) -> None:
    if "refused" in case:
        with pytest.raises(ExpressionSyntaxError) as err:
            compile_feel(case["expr"])
        assert case["refused"] in err.value.message
        return
    variables = case.get("vars", {})
    ast = compile_feel(case["expr"])
    json.dumps(ast)  # the plan stores it: it must stay JSON
    if "equals" in case:
        actual = evaluate_feel(parse_feel(case["expr"]), Scope(variables, json=True))
        wanted = evaluate_feel(parse_feel(case["equals"]), Scope({}))
        assert equal(actual, wanted) is True, f"{actual!r} != {wanted!r}"
    else:
        assert _exact(evaluate(ast, variables)) == _exact(case["expected"])
