"""`shenpi deploy` sends DMN files before processes, as `shenpi dev` does with processes/: a
process whose business rule task calls a decision is refused until that decision is deployed."""

from __future__ import annotations

from pathlib import Path

from shenpi.devdeploy import decisions_first, definition_files
from tests.helpers import REPO_ROOT


def test_decisions_go_first_and_the_rest_keeps_its_order() -> None:
    given = [Path("b.bpmn"), Path("levels.dmn"), Path("a.bpmn"), Path("more.dmn")]
    assert decisions_first(given) == [
        Path("levels.dmn"), Path("more.dmn"), Path("b.bpmn"), Path("a.bpmn"),
    ]  # fmt: skip


def test_the_examples_deploy_the_approver_table_before_the_purchase_request() -> None:
    names = [p.name for p in definition_files(REPO_ROOT / "processes")]
    assert names.index("approver-level.dmn") < names.index("purchase-request.bpmn")
