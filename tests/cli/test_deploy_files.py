"""`shenpi dev` and `shenpi deploy` of a folder: forms and decisions before the processes."""

from __future__ import annotations

from pathlib import Path

from shenpi.devdeploy import definition_files


def test_forms_and_decisions_deploy_before_the_processes_that_use_them(tmp_path: Path) -> None:
    for name in ("b.bpmn", "a.bpmn", "rules.dmn", "z.form", "a.form", "notes.txt"):
        (tmp_path / name).write_text("x")
    names = [p.name for p in definition_files(tmp_path)]
    assert names == ["a.form", "z.form", "rules.dmn", "a.bpmn", "b.bpmn"]
