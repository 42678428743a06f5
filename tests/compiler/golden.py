"""Golden files for compiler tests: compare JSON whole; ``UPDATE_GOLDEN=1`` rewrites them."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from bpmn_compiler import Diagnostic

HERE = Path(__file__).resolve().parent
CASES_DIR = HERE / "cases"
INVALID_DIR = HERE / "invalid"


def updating() -> bool:
    return os.environ.get("UPDATE_GOLDEN") == "1"


def diagnostics_json(diagnostics: list[Diagnostic]) -> list[dict[str, Any]]:
    return [d.model_dump(mode="json") for d in diagnostics]


def assert_golden(path: Path, actual: Any) -> None:
    """``actual`` must equal the JSON in ``path``; with UPDATE_GOLDEN=1 the file is rewritten."""
    if updating():
        path.write_text(json.dumps(actual, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        return
    assert path.exists(), f"{path.name} is missing: run UPDATE_GOLDEN=1 pytest tests/compiler"
    expected = json.loads(path.read_text(encoding="utf-8"))
    assert actual == expected, f"{path.name} differs (UPDATE_GOLDEN=1 rewrites it after review)"


def assert_golden_or_absent(path: Path, actual: list[Any]) -> None:
    """Like ``assert_golden`` for an optional list: no file means the list must be empty."""
    if updating():
        if actual:
            assert_golden(path, actual)
        else:
            path.unlink(missing_ok=True)
        return
    if not path.exists():
        assert actual == [], f"unexpected {path.name}: {actual}"
        return
    assert_golden(path, actual)
