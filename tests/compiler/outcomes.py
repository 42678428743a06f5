"""What the compiler makes of each file: ``python -m tests.compiler.outcomes FILE...`` prints it
as JSON, so a test can set it beside what another build of the compiler makes of the same files.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from pathlib import Path

from bpmn_compiler import CompileError, Diagnostic, compile_bpmn
from bpmn_compiler.dmn import compile_dmn
from tests.helpers import CORPUS_DIR, REPO_ROOT


def example_files(*patterns: str) -> list[Path]:
    """Every file of the tests, ``processes/`` and the corpus (when it is there) matching one of
    ``patterns``: the files the compiler's whole-corpus comparisons run over."""
    return [
        path
        for folder in (REPO_ROOT / "tests", REPO_ROOT / "processes", CORPUS_DIR)
        for path in sorted(p for pattern in patterns for p in folder.rglob(pattern))
    ]


def outcome(path: Path) -> object:
    """The plan as JSON and the warnings, or every diagnostic of a refusal."""
    xml = path.read_bytes()
    try:
        if path.suffix == ".dmn":
            decisions = compile_dmn(xml, source=path.name)
            return [decisions.plan.model_dump_json(), _dumped(decisions.warnings)]
        result = compile_bpmn(xml, source=path.name)
    except CompileError as err:
        return ["refused", _dumped(err.diagnostics)]
    return [result.plan.model_dump_json(), _dumped(result.warnings), sorted(result.linked_forms)]


def _dumped(diagnostics: Sequence[Diagnostic]) -> list[object]:
    return [d.model_dump(mode="json") for d in diagnostics]


def main(paths: list[str]) -> None:
    json.dump({path: outcome(Path(path)) for path in paths}, sys.stdout)


if __name__ == "__main__":
    main(sys.argv[1:])
