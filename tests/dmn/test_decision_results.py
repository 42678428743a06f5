"""How a business rule task writes a decision's result, per dialect (docs/dmn.md "Business rule
tasks"): the rule results Camunda and Flowable see, and the errors of mapDecisionResult."""

from __future__ import annotations

import pytest

from bpmn_compiler.dmn import compile_dmn
from shenpi_core.decision_plan import DecisionPlan
from shenpi_core.decision_results import decision_variables, mapped_result
from shenpi_core.decisions import DecisionError, evaluate_decision
from tests.workflows.decision_support import DMN_DIR

PLAN: DecisionPlan = compile_dmn((DMN_DIR / "rule_results.dmn").read_bytes()).plan


def _mapped(decision_id: str, amount: int, mapping: str) -> object:
    decision = PLAN.decision(decision_id)
    assert decision is not None
    value = evaluate_decision(PLAN, decision_id, {"amount": amount})
    return mapped_result(decision, value, mapping)  # type: ignore[arg-type]


def test_no_matching_rule_is_an_empty_list_or_null() -> None:
    assert _mapped("discounts", 10, "result_list") == []
    assert _mapped("discounts", 10, "collect_entries") == []
    assert _mapped("discounts", 10, "single_entry") is None
    assert _mapped("discounts", 10, "value") == []


@pytest.mark.parametrize(
    ("decision_id", "mapping", "message"),
    [
        ("discounts", "single_entry", "at most one rule result, got 2"),
        ("discounts", "single_result", "at most one rule result, got 2"),
        ("limits", "single_entry", "one output per rule result"),
        ("limits", "collect_entries", "one output per rule result"),
    ],
)
def test_a_mapping_the_result_does_not_fit_is_a_decision_error(
    decision_id: str, mapping: str, message: str
) -> None:
    with pytest.raises(DecisionError, match=message):
        _mapped(decision_id, 1500, mapping)


def test_flowable_writes_nothing_without_a_match_and_a_list_for_a_multi_hit_table() -> None:
    discounts = PLAN.decision("discounts")
    assert discounts is not None
    assert decision_variables(discounts, [], "flowable", None) == {"discounts": []}
    limits = PLAN.decision("limits")
    assert limits is not None
    assert decision_variables(limits, None, "flowable", None) == {}


def test_without_a_result_variable_nothing_is_written() -> None:
    limits = PLAN.decision("limits")
    assert limits is not None
    assert decision_variables(limits, {"level": "x", "limit": 1}, "result_list", None) == {}
