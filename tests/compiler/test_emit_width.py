"""Emitted modules stay within ruff's line length with Chinese names (two columns a character)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bpmn_compiler import compile_bpmn
from bpmn_compiler.emit_python import emit_python, width

BIN = Path(sys.executable).parent
LONG = "采购合同法务会签董事会票签财务或签" * 4  # 68 characters, 136 columns

PROCESS = f"""<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:shenpi="http://shenpi.dev/schema/bpmn/1.0" id="d" targetNamespace="t">
  <process id="wide" name="合同审批 {LONG}" isExecutable="true">
    <startEvent id="start" />
    <userTask id="task" name="{LONG}" shenpi:assignee="${{approver}}">
      <extensionElements><shenpi:approval mode="any" approvers="甲, 乙, 丙" /></extensionElements>
    </userTask>
    <endEvent id="end" name="结束" />
    <sequenceFlow id="s1" sourceRef="start" targetRef="task" />
    <sequenceFlow id="s2" sourceRef="task" targetRef="end" />
  </process>
</definitions>"""


@pytest.mark.parametrize(("text", "columns"), [("abc", 3), ("会签", 4), ("a会b", 4), ("", 0)])
def test_width_counts_wide_characters_twice(text: str, columns: int) -> None:
    assert width(text) == columns


def test_module_with_chinese_names_is_ruff_clean(tmp_path: Path) -> None:
    path = tmp_path / "wide_workflow.py"
    path.write_text(emit_python(compile_bpmn(PROCESS.encode()).plan), encoding="utf-8")

    assert max(width(line) for line in path.read_text("utf-8").splitlines()) <= 100
    commands: list[list[str | Path]] = [
        [BIN / "ruff", "format", "--check", "--quiet", path],
        [BIN / "ruff", "check", "--quiet", "--no-cache", path],
    ]
    for command in commands:
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        assert done.returncode == 0, done.stdout + done.stderr
