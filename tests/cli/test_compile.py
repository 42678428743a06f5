"""`shenpi compile`: the plan or a Python module on success, diagnostics and exit 1 on error."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from shenpi.cli import app
from shenpi_core.decision_plan import DecisionPlan
from shenpi_core.process_plan import ProcessPlan
from tests.helpers import REPO_ROOT

PURCHASE = REPO_ROOT / "processes" / "purchase-approval.bpmn"

# Two errors in one file: no start event, and a gateway condition that does not parse.
BROKEN = b"""<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL"
             xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" targetNamespace="t">
  <process id="broken" isExecutable="true">
    <userTask id="Review" />
    <exclusiveGateway id="Choice" />
    <endEvent id="Done" />
    <sequenceFlow id="f1" sourceRef="Review" targetRef="Choice" />
    <sequenceFlow id="f2" sourceRef="Choice" targetRef="Done">
      <conditionExpression xsi:type="tFormalExpression">${amount &gt;&gt; 5}</conditionExpression>
    </sequenceFlow>
  </process>
</definitions>
"""


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def test_compile_prints_the_plan_json_of_a_valid_file(runner: CliRunner) -> None:
    result = runner.invoke(app, ["compile", str(PURCHASE)])

    assert result.exit_code == 0, result.stderr
    plan = ProcessPlan.model_validate_json(result.stdout)
    assert plan.process_id == "purchase-approval"
    assert plan.hash == plan.content_hash()
    assert "Task_ManagerApproval" in {n.id for n in plan.nodes}


def test_compile_writes_the_plan_to_a_file_with_o(runner: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "plan.json"
    result = runner.invoke(app, ["compile", str(PURCHASE), "-o", str(out)])

    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    assert json.loads(out.read_text())["process_id"] == "purchase-approval"


def test_compile_emit_python_writes_a_workflow_module(runner: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "purchase_approval.py"
    result = runner.invoke(app, ["compile", str(PURCHASE), "--emit", "python", "-o", str(out)])

    assert result.exit_code == 0, result.stderr
    module = ast.parse(out.read_text())  # valid Python, not executed
    decorators = [
        ast.unparse(d)
        for node in ast.walk(module)
        if isinstance(node, ast.ClassDef)
        for d in node.decorator_list
    ]
    assert any(d.startswith("workflow.defn") for d in decorators)


def test_compile_error_prints_every_diagnostic_to_stderr_and_exits_1(
    runner: CliRunner, tmp_path: Path
) -> None:
    broken = tmp_path / "broken.bpmn"
    broken.write_bytes(BROKEN)

    result = runner.invoke(app, ["compile", str(broken)])

    assert result.exit_code == 1
    assert result.stdout == ""
    assert "Choice" in result.stderr or "f2" in result.stderr  # the bad condition, by element
    assert "start" in result.stderr.lower()  # and the missing start event, in the same run


def test_compile_of_a_missing_file_is_a_usage_error(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(app, ["compile", str(tmp_path / "nope.bpmn")])

    assert result.exit_code == 2


def test_compile_prints_the_decision_plan_of_a_dmn_file(runner: CliRunner) -> None:
    result = runner.invoke(app, ["compile", str(REPO_ROOT / "processes" / "approver-level.dmn")])

    assert result.exit_code == 0, result.stderr
    plan = DecisionPlan.model_validate_json(result.stdout)
    assert [d.id for d in plan.decisions] == ["approver-level"]
    assert plan.hash == plan.with_hash().hash


def test_compile_refuses_to_emit_python_for_a_dmn_file(runner: CliRunner) -> None:
    dmn = str(REPO_ROOT / "processes" / "approver-level.dmn")
    result = runner.invoke(app, ["compile", dmn, "--emit", "python"])

    assert result.exit_code == 1
    assert "--emit python is for BPMN processes" in result.stderr
