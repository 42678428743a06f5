"""The YAML directory: schema, lookups, reload on change, a broken edit keeps the last good."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from shenpi.directory import DirectoryError, DirectoryLookupError, YamlDirectory
from shenpi.settings import Settings
from tests.helpers import REPO_ROOT

GOOD = """
users:
  alice: {name: Alice, manager: bob, department: sales, groups: [buyers]}
  bob: {name: Bob, manager: carol, department: sales}
  carol: {name: Carol, department: hq, groups: [finance]}
  dave: {name: Dave, groups: [finance]}
  erin: {name: Erin}
groups:
  finance: {members: [erin]}
departments:
  sales: {leader: bob, parent: hq}
  hq: {leader: carol}
"""


def _write(path: Path, text: str) -> None:
    """Write and move the modification time on, so a rewrite within one clock tick is seen."""
    before = path.stat().st_mtime_ns if path.exists() else 0
    path.write_text(text, encoding="utf-8")
    os.utime(path, ns=(before + 1_000_000_000, before + 1_000_000_000))


@pytest.fixture
def directory_file(tmp_path: Path) -> Path:
    path = tmp_path / "directory.yaml"
    _write(path, GOOD)
    return path


def test_lookups_follow_managers_groups_and_departments(directory_file: Path) -> None:
    directory = YamlDirectory(directory_file)
    assert directory.manager("alice") == "bob"
    assert directory.manager("alice", 2) == "carol"
    assert directory.manager("alice", 3) is None  # carol is the top: the chain ends
    # A group's members: its own list, then users naming it in their groups.
    assert directory.members("finance") == ["erin", "carol", "dave"]
    assert directory.members("buyers") == ["alice"]
    assert directory.dept_leader("sales") == "bob"
    assert directory.department("alice") == "sales"
    assert directory.department("dave") is None
    assert directory.groups_of("carol") == ["finance"]


def test_unknown_names_are_lookup_errors_naming_them(directory_file: Path) -> None:
    directory = YamlDirectory(directory_file)
    with pytest.raises(DirectoryLookupError, match="'zoe'"):
        directory.manager("zoe")
    with pytest.raises(DirectoryLookupError, match="'legal'"):
        directory.members("legal")
    with pytest.raises(DirectoryLookupError, match="'ops'"):
        directory.dept_leader("ops")


def test_an_edited_file_is_reloaded_on_the_next_lookup(directory_file: Path) -> None:
    directory = YamlDirectory(directory_file)
    assert directory.manager("alice") == "bob"
    _write(directory_file, directory_file.read_text().replace("manager: bob", "manager: dave"))
    assert directory.manager("alice") == "dave"


def test_a_broken_edit_keeps_the_last_good_directory_until_fixed(
    directory_file: Path, caplog: pytest.LogCaptureFixture
) -> None:
    directory = YamlDirectory(directory_file)
    good = directory_file.read_text()
    _write(directory_file, good.replace("manager: bob", "manager: nobody"))
    assert directory.manager("alice") == "bob"
    assert "unknown user 'nobody'" in caplog.text
    _write(directory_file, "users: [not, a, mapping")
    assert directory.members("finance") == ["erin", "carol", "dave"]
    _write(directory_file, good.replace("manager: bob", "manager: dave"))
    assert directory.manager("alice") == "dave"


def test_a_deleted_file_keeps_the_last_good_directory(directory_file: Path) -> None:
    directory = YamlDirectory(directory_file)
    directory_file.unlink()
    assert directory.manager("alice") == "bob"


@pytest.mark.parametrize(
    ("text", "problems"),
    [
        ("users:\n  a: {manager: ghost}\n", ["users.a.manager: unknown user 'ghost'"]),
        (
            "users:\n  a: {manager: b}\n  b: {manager: a}\n",
            ["users.a.manager: the chain loops back to 'a'", "users.b.manager: the chain loops"],
        ),
        ("users:\n  a: {boss: b}\n", ["users.a.boss: Extra inputs are not permitted"]),
        (
            "departments:\n  d: {leader: x, parent: e}\ngroups:\n  g: {members: [y]}\n",
            [
                "groups.g.members: unknown user 'y'",
                "departments.d.leader: unknown user 'x'",
                "departments.d.parent: unknown department 'e'",
            ],
        ),
        ("users: {a: [1, 2\n", ["cannot read the directory"]),
    ],
)
def test_a_broken_file_at_start_is_refused_with_every_problem(
    tmp_path: Path, text: str, problems: list[str]
) -> None:
    path = tmp_path / "directory.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(DirectoryError) as err:
        YamlDirectory(path)
    for problem in problems:
        assert problem in str(err.value)


def test_a_missing_file_is_an_empty_directory_until_it_appears(tmp_path: Path) -> None:
    path = tmp_path / "directory.yaml"
    directory = YamlDirectory(path)
    with pytest.raises(DirectoryLookupError):
        directory.manager("alice")
    _write(path, "users:\n  alice: {manager: bob}\n  bob: {}\n")
    assert directory.manager("alice") == "bob"


def test_the_development_directory_loads_and_answers() -> None:
    directory = YamlDirectory(REPO_ROOT / "processes" / "directory.yaml")
    assert directory.manager("alice", 2) == "carol"
    assert "erin" in directory.members("finance")


def test_the_directory_file_defaults_to_the_data_dir_then_the_dev_one(tmp_path: Path) -> None:
    settings = Settings(_env_file=None, data_dir=tmp_path)
    assert settings.resolved_directory_file == Path("processes/directory.yaml")
    (tmp_path / "directory.yaml").write_text("users: {}\n", encoding="utf-8")
    assert settings.resolved_directory_file == tmp_path / "directory.yaml"
    chosen = Settings(_env_file=None, data_dir=tmp_path, directory_file=tmp_path / "d.yaml")
    assert chosen.resolved_directory_file == tmp_path / "d.yaml"


def test_numeric_employee_ids_are_read_as_string_ids(tmp_path: Path) -> None:
    path = tmp_path / "directory.yaml"
    path.write_text(
        "users:\n  10086: {manager: 10010, groups: [7]}\n  10010: {}\n"
        "groups:\n  7: {members: []}\n",
        encoding="utf-8",
    )
    directory = YamlDirectory(path)
    assert directory.manager("10086") == "10010"
    assert directory.members("7") == ["10086"]
