"""The DMN compiler: the hit policies on one set of overlapping rules, and refused files with
exactly their diagnostics (``invalid/<name>.dmn`` + golden ``<name>.diagnostics.json``;
``UPDATE_GOLDEN=1`` rewrites them after review)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bpmn_compiler.diagnostics import CompileError
from bpmn_compiler.dmn import compile_dmn
from bpmn_compiler.file_kinds import is_dmn
from shenpi_core.decision_plan import DecisionPlan
from shenpi_core.decisions import DecisionError, evaluate_decision
from tests.compiler.golden import assert_golden, diagnostics_json
from tests.helpers import REPO_ROOT

HERE = Path(__file__).resolve().parent
INVALID = sorted((HERE / "invalid").glob("*.dmn"))


@pytest.fixture(scope="module")
def policies() -> DecisionPlan:
    result = compile_dmn((HERE / "cases" / "hit_policies.dmn").read_bytes())
    assert result.warnings == []
    return result.plan


# The rules of every table: score >= 50 -> B (10 points), >= 80 -> A (20), < 90 -> C (5);
# output values in priority order "A", "B", "C".
@pytest.mark.parametrize(
    ("decision", "score", "expected"),
    [
        ("unique", 10, "C"),
        ("first", 85, "B"),
        ("first", 10, "C"),
        ("priority", 85, "A"),
        ("priority", 60, "B"),
        ("any", 10, "C"),
        ("any-agreeing", 95, "pass"),
        ("rule-order", 85, ["B", "A", "C"]),
        ("output-order", 85, ["A", "B", "C"]),
        ("collect", 95, ["B", "A"]),
        ("collect-sum", 85, 35),
        ("collect-min", 85, 5),
        ("collect-max", 85, 20),
        ("collect-count", 85, 3),
        ("collect-count", 95, 2),
        ("first-two-outputs", 85, {"grade": "A", "stars": 3}),
        ("first-two-outputs", 10, {"grade": "none", "stars": 0}),  # the default output entries
        ("summary", 85, "B with 35 points for 85"),  # requires two decisions and an input
    ],
)
def test_hit_policy(policies: DecisionPlan, decision: str, score: int, expected: Any) -> None:
    assert evaluate_decision(policies, decision, {"score": score}) == expected


@pytest.mark.parametrize(
    ("decision", "score", "message"),
    [
        ("unique", 85, "UNIQUE table: 3 rules match (unique-r0, unique-r1, unique-r2)"),
        ("any", 95, "ANY table: the matching rules give different outputs"),
    ],
)
def test_a_broken_hit_policy_is_an_error(
    policies: DecisionPlan, decision: str, score: int, message: str
) -> None:
    with pytest.raises(DecisionError) as err:
        evaluate_decision(policies, decision, {"score": score})
    assert err.value.message == message


def test_no_matching_rule_gives_null_or_an_empty_list(policies: DecisionPlan) -> None:
    assert evaluate_decision(policies, "first", {"score": None}) is None
    assert evaluate_decision(policies, "rule-order", {"score": None}) == []


@pytest.mark.parametrize("path", INVALID, ids=lambda p: p.stem)
def test_invalid_file_is_refused_with_exactly_its_diagnostics(path: Path) -> None:
    with pytest.raises(CompileError) as err:
        compile_dmn(path.read_bytes(), source=path.name)
    assert_golden(path.with_suffix(".diagnostics.json"), diagnostics_json(err.value.diagnostics))


def test_every_invalid_file_has_its_golden_diagnostics() -> None:
    assert INVALID
    goldens = sorted((HERE / "invalid").glob("*.diagnostics.json"))
    assert [g.name.split(".")[0] for g in goldens] == [p.stem for p in INVALID]


def test_a_decision_people_take_is_kept_with_a_warning_and_fails_when_evaluated() -> None:
    xml = b"""<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="d">
      <decision id="human" name="human"/>
      <decision id="uses" name="uses">
        <informationRequirement><requiredDecision href="#human"/></informationRequirement>
        <literalExpression><text>human</text></literalExpression>
      </decision>
    </definitions>"""
    result = compile_dmn(xml)
    assert [w.code for w in result.warnings] == ["dmn-no-logic"]
    for decision in ("human", "uses"):
        with pytest.raises(DecisionError, match="'human' has no logic"):
            evaluate_decision(result.plan, decision, {})


def test_dmn_and_bpmn_files_are_told_apart() -> None:
    assert is_dmn((REPO_ROOT / "processes" / "approver-level.dmn").read_bytes())
    assert not is_dmn((REPO_ROOT / "processes" / "purchase-approval.bpmn").read_bytes())


def test_a_plan_that_requires_what_it_does_not_hold_is_a_decision_error() -> None:
    from shenpi_core.decision_plan import Decision, LiteralLogic

    logic = LiteralLogic(source="1", ast={"feel": "num", "v": "1"})
    plan = DecisionPlan(
        id="hand-made", decisions=(Decision(id="d", name="d", logic=logic, requires_inputs=("x",)),)
    )
    with pytest.raises(DecisionError, match="requires 'x', which it does not hold"):
        evaluate_decision(plan, "d", {})


def test_a_very_long_requirement_chain_is_a_decision_error_not_a_crash() -> None:
    links = "".join(
        f'<decision id="d{i}" name="d{i}"><informationRequirement>'
        f'<requiredDecision href="#d{i - 1}"/></informationRequirement>'
        f"<literalExpression><text>d{i - 1} + 1</text></literalExpression></decision>"
        for i in range(1, 2000)
    )
    xml = (
        '<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="chain">'
        '<decision id="d0" name="d0"><literalExpression><text>0</text></literalExpression>'
        f"</decision>{links}</definitions>"
    ).encode()
    plan = compile_dmn(xml).plan
    assert evaluate_decision(plan, "d50", {}) == 50
    with pytest.raises(DecisionError, match="nest too deeply"):
        evaluate_decision(plan, "d1999", {})
