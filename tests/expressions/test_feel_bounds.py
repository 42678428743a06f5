"""FEEL stays bounded in the workflow: hostile or careless expressions end in an
``ExpressionError`` (an incident) instead of a workflow task that never yields."""

from __future__ import annotations

from typing import Any

import pytest

from bpmn_compiler.expressions import compile_feel
from shenpi_core.expressions import ExpressionError, evaluate
from shenpi_core.limits import MAX_FEEL_LIST_ITEMS, MAX_FEEL_STEPS

BIG = {"big": [{"a": i} for i in range(5000)]}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("for i in 1..100000000 return i", f"a range of more than {MAX_FEEL_LIST_ITEMS} items"),
        ("for i in 1..10000, j in 1..10000 return i", f"more than {MAX_FEEL_LIST_ITEMS} items"),
        ("count(for i in 1..9999 return for j in 1..20 return j)", f"{MAX_FEEL_STEPS} steps"),
        # A built-in or a path over a list costs one step an item: a loop around one is bounded.
        ("for i in 1..9999 return count(big)", f"{MAX_FEEL_STEPS} steps"),
        ("for i in 1..100 return big.a", f"{MAX_FEEL_STEPS} steps"),
        ("some i in 1..5000 satisfies big = big", f"{MAX_FEEL_STEPS} steps"),
    ],
)
def test_work_past_the_limits_is_an_error(text: str, message: str) -> None:
    with pytest.raises(ExpressionError) as err:
        evaluate(compile_feel(text), BIG)
    assert message in err.value.message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("count(distinct values(for i in 1..9000 return modulo(i, 10)))", 10),
        ("count(distinct values(for x in big return x.a))", 5000),
        ("count(union(for x in big return [x.a], [[1], [2]]))", 5000),
        ('distinct values([1, 1.0, true, "1", [1], [1.0], {a: 1}, {a: 1}])', None),
    ],
)
def test_large_lists_within_the_limits_are_fine(text: str, expected: Any) -> None:
    result = evaluate(compile_feel(text), BIG)
    if expected is None:  # equal values are one: 1 and 1.0; true and "1" are not numbers
        assert result == [1, True, "1", [1], {"a": 1}]
    else:
        assert result == expected
