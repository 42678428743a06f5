"""Plan-level properties: JSON round trip, a hash stable across processes, sensitive to content."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bpmn_compiler import ProcessPlan, compile_bpmn
from tests.compiler.golden import CASES_DIR
from tests.helpers import REPO_ROOT

CASES = sorted(CASES_DIR.glob("*.bpmn"))


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.stem)
def test_plan_round_trips_through_json_unchanged(path: Path) -> None:
    plan = compile_bpmn(path.read_bytes()).plan
    again = ProcessPlan.model_validate_json(plan.model_dump_json())
    assert again == plan
    assert again.content_hash() == plan.hash


def _hash_in_fresh_interpreter(path: Path, seed: str) -> str:
    code = "import sys; from bpmn_compiler import compile_bpmn; " + (
        "print(compile_bpmn(open(sys.argv[1], 'rb').read()).plan.hash)"
    )
    env = {**os.environ, "PYTHONHASHSEED": seed}
    out = subprocess.run(
        [sys.executable, "-c", code, str(path)],
        cwd=REPO_ROOT, env=env, capture_output=True, text=True, check=True, timeout=60,
    )  # fmt: skip
    return out.stdout.strip()


def test_hash_is_identical_across_processes_with_different_hash_seeds() -> None:
    path = CASES_DIR / "timers.bpmn"
    expected = compile_bpmn(path.read_bytes()).plan.hash
    assert _hash_in_fresh_interpreter(path, "1") == expected
    assert _hash_in_fresh_interpreter(path, "12345") == expected


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (b"${amount &gt; 1000", b"${amount &gt; 1001"),  # a condition
        (b'name="Manager approval"', b'name="Manager sign-off"'),  # a label
        (b'camunda:topic="expense-scoring"', b'camunda:topic="expense-scoring-v2"'),  # a type
        (b'candidateGroups="finance, controlling"', b'candidateGroups="finance"'),  # who
    ],
)
def test_hash_changes_when_the_content_changes(old: bytes, new: bytes) -> None:
    xml = (CASES_DIR / "camunda7_juel.bpmn").read_bytes()
    assert old in xml
    original = compile_bpmn(xml).plan.hash
    changed = xml.replace(old, new)
    assert compile_bpmn(changed).plan.hash != original


def test_hash_ignores_layout_whitespace_and_diagram() -> None:
    xml = (CASES_DIR / "bpmnio_plain.bpmn").read_bytes()
    without_diagram = xml[: xml.index(b"<bpmndi:BPMNDiagram")] + b"</bpmn:definitions>\n"
    assert compile_bpmn(without_diagram).plan.hash == compile_bpmn(xml).plan.hash


def test_plan_json_is_plain_json() -> None:
    plan = compile_bpmn((CASES_DIR / "zeebe_feel.bpmn").read_bytes()).plan
    body = json.loads(plan.model_dump_json())
    assert body["hash"] == plan.hash
    assert [n["kind"] for n in body["nodes"]] == [
        "start", "service_task", "exclusive", "user_task", "end",
    ]  # fmt: skip


def test_importing_the_package_loads_no_xml_or_grammar_machinery() -> None:
    code = (
        "import sys, bpmn_compiler; "
        "loaded = {'lxml', 'lark', 'isodate'} & {m.split('.')[0] for m in sys.modules}; "
        "print(sorted(loaded))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]"
