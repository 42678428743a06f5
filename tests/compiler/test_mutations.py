"""Damaged files: every golden case with one element removed or one attribute emptied compiles or
is refused with diagnostics, never a crash (what an editor mid-edit or a bad export produces)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from lxml import etree

from bpmn_compiler import CompileError, compile_bpmn
from tests.compiler.golden import CASES_DIR

CASES = sorted(CASES_DIR.glob("*.bpmn"))


def _mutants(xml: bytes) -> Iterator[bytes]:
    root = etree.fromstring(xml)
    count = sum(1 for _ in root.iter())
    for index in range(1, count):  # never the root
        for change in ("drop", "blank"):
            tree = etree.fromstring(xml)
            el = list(tree.iter())[index]
            if not isinstance(el.tag, str):
                continue
            if change == "drop":
                parent = el.getparent()
                assert parent is not None
                parent.remove(el)
            elif el.attrib:
                for name in el.attrib:
                    el.set(name, "")
            else:
                continue
            yield etree.tostring(tree)


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.stem)
def test_damaged_case_compiles_or_is_refused_never_crashes(path: Path) -> None:
    tried = 0
    for mutant in _mutants(path.read_bytes()):
        tried += 1
        try:
            compile_bpmn(mutant)
        except CompileError as err:
            assert all(d.code and d.message for d in err.diagnostics)
    assert tried > 10
