"""``shenpi compile --emit python`` keeps a process with AI steps whole: multi-line prompts,
examples, routes and flow documentation come back from the module as the same plan."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from bpmn_compiler import compile_bpmn
from shenpi.cli import app
from shenpi_core.process_plan import ProcessPlan, UserTask
from tests.compiler.golden import CASES_DIR

BIN = Path(sys.executable).parent
AI_CASE = CASES_DIR / "ai_review.bpmn"


def _embedded_plan(module: str) -> ProcessPlan:
    """The ``PLAN`` literal of an emitted module, read without running it."""
    tree = ast.parse(module)
    value = next(
        node.value
        for node in tree.body
        if isinstance(node, ast.AnnAssign)
        and isinstance(node.target, ast.Name)
        and node.target.id == "PLAN"
        and node.value is not None
    )
    return ProcessPlan.model_validate(ast.literal_eval(value))


def test_emitted_module_of_an_ai_process_embeds_the_same_plan(tmp_path: Path) -> None:
    out = tmp_path / "ai_review_workflow.py"
    result = CliRunner().invoke(app, ["compile", str(AI_CASE), "--emit", "python", "-o", str(out)])
    assert result.exit_code == 0, result.stderr

    embedded = _embedded_plan(out.read_text("utf-8"))
    expected = compile_bpmn(AI_CASE.read_bytes()).plan
    assert embedded == expected
    review = embedded.node("manager_review")
    assert isinstance(review, UserTask) and review.ai is not None
    assert review.ai.policy is not None and review.ai.policy.count("\n") == 2


def test_emitted_module_of_an_ai_process_is_ruff_clean(tmp_path: Path) -> None:
    out = tmp_path / "ai_review_workflow.py"
    result = CliRunner().invoke(app, ["compile", str(AI_CASE), "--emit", "python", "-o", str(out)])
    assert result.exit_code == 0, result.stderr

    commands: list[list[str | Path]] = [
        [BIN / "ruff", "format", "--check", "--quiet", out],
        [BIN / "ruff", "check", "--quiet", "--no-cache", out],
    ]
    for command in commands:
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        assert done.returncode == 0, done.stdout + done.stderr
