"""Compiler tests as data: ``cases/<name>.bpmn`` → golden ``<name>.plan.json`` (+ warnings), and
``invalid/<name>.bpmn`` → ``<name>.diagnostics.json``, both asserted whole."""

from __future__ import annotations

from pathlib import Path

import pytest

from bpmn_compiler import CompileError, ProcessPlan, compile_bpmn
from tests.compiler.golden import (
    CASES_DIR,
    INVALID_DIR,
    assert_golden,
    assert_golden_or_absent,
    diagnostics_json,
)

CASES = sorted(CASES_DIR.glob("*.bpmn"))
INVALID = sorted(INVALID_DIR.glob("*.bpmn"))


def _id(path: Path) -> str:
    return path.stem


def test_case_directories_hold_the_required_cases() -> None:
    names = {p.stem for p in CASES}
    assert {
        "camunda7_juel", "zeebe_feel", "flowable", "bpmnio_plain", "parallel_fork_join",
        "loop_back", "timers", "terminate_end", "pass_through", "shenpi_attributes",
        "approval_modes", "approval_timeouts", "multi_instance_camunda", "multi_instance_zeebe",
        "ai_review", "notify_rules", "messages_signals",
    } <= names  # fmt: skip
    invalid = {p.stem for p in INVALID}
    assert {
        "malformed_xml", "xxe", "billion_laughs", "no_start", "no_exit_cycle",
        "condition_syntax", "dangling_flow", "unsupported_elements",
        "approval_values", "approval_rules", "multi_instance_rules", "directory_calls",
        "ai_placement", "ai_values", "ai_human_required", "ai_route", "ai_prompt_syntax",
        "ai_advise_fallback", "notify_rules",
    } <= invalid  # fmt: skip


@pytest.mark.parametrize("path", CASES, ids=_id)
def test_case_compiles_to_its_golden_plan(path: Path) -> None:
    result = compile_bpmn(path.read_bytes(), source=path.name)
    assert_golden(path.with_suffix(".plan.json"), result.plan.model_dump(mode="json"))
    assert_golden_or_absent(path.with_suffix(".warnings.json"), diagnostics_json(result.warnings))


@pytest.mark.parametrize("path", CASES, ids=_id)
def test_golden_plan_loads_back_with_its_hash(path: Path) -> None:
    plan = ProcessPlan.model_validate_json(path.with_suffix(".plan.json").read_text("utf-8"))
    assert plan.hash == plan.content_hash()


@pytest.mark.parametrize("path", INVALID, ids=_id)
def test_invalid_file_is_refused_with_exactly_its_diagnostics(path: Path) -> None:
    with pytest.raises(CompileError) as err:
        compile_bpmn(path.read_bytes(), source=path.name)
    assert_golden(path.with_suffix(".diagnostics.json"), diagnostics_json(err.value.diagnostics))
