"""Diagnostics printed for people and editors: ``file:line: error[code] element 'id': message``."""

from __future__ import annotations

import pytest

from bpmn_compiler import CompileError, Diagnostic, compile_bpmn
from bpmn_compiler.cli_support import format_diagnostic, format_diagnostics
from tests.compiler.golden import INVALID_DIR


def test_diagnostic_with_element_and_line() -> None:
    d = Diagnostic(code="dead-end", message="no way out", element_id="stuck", line=7)
    assert (
        format_diagnostic(d, source="a.bpmn")
        == "a.bpmn:7: error[dead-end] element 'stuck': no way out"
    )


def test_file_level_warning_without_line_or_element() -> None:
    d = Diagnostic(code="too-large", message="too big", severity="warning")
    assert format_diagnostic(d) == "<upload>: warning[too-large]: too big"


def test_a_refused_file_prints_every_diagnostic_then_the_count() -> None:
    path = INVALID_DIR / "dangling_flow.bpmn"
    with pytest.raises(CompileError) as err:
        compile_bpmn(path.read_bytes())
    text = format_diagnostics(err.value.diagnostics, source="dangling_flow.bpmn")
    assert text.splitlines() == [
        "dangling_flow.bpmn:7: error[dangling-flow] element 's2': sequence flow 's2' has"
        " targetRef='ghost', which is not an element of this process",
        "dangling_flow.bpmn:8: error[dangling-flow] element 's3': sequence flow 's3' has"
        " sourceRef='phantom', which is not an element of this process",
        "2 errors, 0 warnings",
    ]


def test_counts_use_singular_for_one() -> None:
    d = Diagnostic(code="x", message="m", severity="warning")
    assert format_diagnostics([d]).endswith("0 errors, 1 warning")
