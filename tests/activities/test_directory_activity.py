"""``shenpi-directory`` on a real YAML directory: expressions compiled by the real compiler."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.directory import EXPRESSION_ERROR, LOOKUP_ERROR, DirectoryActivities
from bpmn_compiler.expressions import compile_value
from bpmn_compiler.model import RawText
from shenpi.directory import YamlDirectory
from shenpi_core.contracts import DirectoryResolveInput

DIRECTORY = """
users:
  alice: {manager: bob, department: sales}
  bob: {manager: carol, department: sales, groups: [finance]}
  carol: {department: hq, groups: [finance]}
  erin: {groups: [finance]}
departments:
  sales: {leader: bob, parent: hq}
  hq: {}
"""


@pytest.fixture
def activities(tmp_path: Path) -> DirectoryActivities:
    path = tmp_path / "directory.yaml"
    path.write_text(DIRECTORY, encoding="utf-8")
    return DirectoryActivities(YamlDirectory(path))


def _resolve(activities: DirectoryActivities, text: str, **variables: Any) -> list[str]:
    ast = compile_value(RawText(text)).ast
    result = ActivityEnvironment().run(
        activities.resolve, DirectoryResolveInput(ast=ast, variables=variables)
    )
    return result.values


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("${manager(initiator)}", ["bob"]),
        ("${manager(initiator, 2)}", ["carol"]),
        ("${manager(initiator, 3)}", []),  # above the top: nobody, not an error
        ("${members('finance')}", ["bob", "carol", "erin"]),
        ("${dept_leader(department(initiator))}", ["bob"]),
        ("${dept_leader('hq')}", []),
        # Nested lists are flattened and each id kept once, in first-seen order.
        ("${[manager(initiator), members('finance'), 'zoe']}", ["bob", "carol", "erin", "zoe"]),
    ],
)
def test_directory_expression_resolves_to_a_flat_list_of_ids(
    activities: DirectoryActivities, text: str, expected: list[str]
) -> None:
    assert _resolve(activities, text, initiator="alice") == expected


def test_unknown_user_is_a_non_retryable_lookup_error_naming_them(
    activities: DirectoryActivities,
) -> None:
    with pytest.raises(ApplicationError) as err:
        _resolve(activities, "${manager(initiator)}", initiator="mallory")
    assert (err.value.type, err.value.non_retryable) == (LOOKUP_ERROR, True)
    assert "'mallory'" in err.value.message


def test_an_expression_that_cannot_evaluate_is_not_retried(
    activities: DirectoryActivities,
) -> None:
    with pytest.raises(ApplicationError) as err:
        _resolve(activities, "${manager(initiator)}")  # no variable `initiator`
    assert (err.value.type, err.value.non_retryable) == (EXPRESSION_ERROR, True)
    with pytest.raises(ApplicationError) as not_ids:
        _resolve(activities, "${[manager(initiator), 3]}", initiator="alice")
    assert not_ids.value.type == EXPRESSION_ERROR


def test_levels_must_be_a_whole_number_of_at_least_one(activities: DirectoryActivities) -> None:
    with pytest.raises(ApplicationError) as err:
        _resolve(activities, "${manager(initiator, 0)}", initiator="alice")
    assert err.value.type == LOOKUP_ERROR
