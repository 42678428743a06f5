"""processes/approver-level.dmn: the amount/department → approver level table every company has."""

from __future__ import annotations

from typing import Any

import pytest

from bpmn_compiler.dmn import compile_dmn
from shenpi_core.decision_plan import DecisionPlan
from shenpi_core.decisions import DecisionError, evaluate_decision
from tests.helpers import REPO_ROOT


@pytest.fixture(scope="module")
def plan() -> DecisionPlan:
    result = compile_dmn((REPO_ROOT / "processes" / "approver-level.dmn").read_bytes())
    assert result.warnings == []
    return result.plan


@pytest.mark.parametrize(
    ("amount", "department", "level"),
    [
        (0, "it", "team-lead"),
        (999.99, "finance", "team-lead"),
        (1000, "it", "manager"),  # [1000..10000): the lower bound belongs to the manager
        (9999, "sales", "manager"),
        (10000, "it", "director"),
        (10000, "finance", "cfo"),
        (99999.5, "finance", "cfo"),
        (100000, "finance", "ceo"),
        (2_000_000, "it", "ceo"),
    ],
)
def test_the_amount_and_department_pick_the_approver_level(
    plan: DecisionPlan, amount: float, department: str, level: str
) -> None:
    variables = {"amount": amount, "department": department}
    assert evaluate_decision(plan, "approver-level", variables) == level
    assert evaluate_decision(plan, "Approver level", variables) == level  # by name as well


@pytest.mark.parametrize("variables", [{}, {"amount": "lots", "department": "it"}])
def test_a_request_without_a_number_matches_no_rule(
    plan: DecisionPlan, variables: dict[str, Any]
) -> None:
    assert evaluate_decision(plan, "approver-level", variables) is None


def test_an_unknown_decision_is_an_error(plan: DecisionPlan) -> None:
    with pytest.raises(DecisionError, match="no decision 'approval-level'"):
        evaluate_decision(plan, "approval-level", {"amount": 1})


def test_the_plan_is_json_and_hashed(plan: DecisionPlan) -> None:
    again = DecisionPlan.model_validate_json(plan.model_dump_json())
    assert again == plan
    assert again.with_hash().hash == plan.hash != ""
