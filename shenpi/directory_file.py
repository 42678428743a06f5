"""The directory YAML file: its schema and the rules a file must keep (see ``shenpi.directory``).

A file breaking a rule is refused whole, with every problem listed, so the one who edits it can fix
everything at once.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError


class DirectoryError(ValueError):
    """The directory file cannot be read or breaks the schema; the message lists every problem."""


class _Entry(BaseModel):
    # Numeric employee ids (工号) are common: `10086:` in YAML is an int, read as the id "10086".
    model_config = ConfigDict(extra="forbid", frozen=True, coerce_numbers_to_str=True)


# Where a person can be notified (docs/notifications.md); `channels` lists them by preference.
NotifyChannel = Literal["wechat_work", "wechat_mp", "email", "webhook"]


class UserEntry(_Entry):
    name: str | None = None
    manager: str | None = None
    department: str | None = None
    groups: list[str] = Field(default_factory=list)
    wechat_work_userid: str | None = None  # unset: the WeChat Work userid is the user id
    wechat_mp_openid: str | None = None  # the Official Account openid (per account)
    email: str | None = None
    channels: list[NotifyChannel] = Field(default_factory=list)  # empty: the default order


class GroupEntry(_Entry):
    members: list[str] = Field(default_factory=list)


class DepartmentEntry(_Entry):
    leader: str | None = None
    parent: str | None = None


class DirectoryFile(_Entry):
    """The YAML schema (see the module docstring)."""

    users: dict[str, UserEntry] = Field(default_factory=dict)
    groups: dict[str, GroupEntry] = Field(default_factory=dict)
    departments: dict[str, DepartmentEntry] = Field(default_factory=dict)


def load_directory_file(path: Path) -> DirectoryFile:
    """Parse and validate one directory file; :class:`DirectoryError` names every problem."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as err:
        raise DirectoryError(f"{path}: cannot read the directory: {err}") from None
    try:
        data = DirectoryFile.model_validate(raw or {})
    except ValidationError as err:
        listed = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or '<root>'}: {e['msg']}" for e in err.errors()
        )
        raise DirectoryError(f"{path}: {listed}") from None
    problems = _reference_problems(data)
    if problems:
        raise DirectoryError(f"{path}: " + "; ".join(problems))
    return data


def _reference_problems(data: DirectoryFile) -> list[str]:
    users, depts = data.users, data.departments
    problems: list[str] = []
    for uid, user in users.items():
        if user.manager is not None and user.manager not in users:
            problems.append(f"users.{uid}.manager: unknown user {user.manager!r}")
        if user.department is not None and user.department not in depts:
            problems.append(f"users.{uid}.department: unknown department {user.department!r}")
    for gid, group in data.groups.items():
        problems += [
            f"groups.{gid}.members: unknown user {m!r}" for m in group.members if m not in users
        ]
    for did, dept in depts.items():
        if dept.leader is not None and dept.leader not in users:
            problems.append(f"departments.{did}.leader: unknown user {dept.leader!r}")
        if dept.parent is not None and dept.parent not in depts:
            problems.append(f"departments.{did}.parent: unknown department {dept.parent!r}")
    problems += _loops("users", {u: e.manager for u, e in users.items()}, "manager")
    problems += _loops("departments", {d: e.parent for d, e in depts.items()}, "parent")
    return problems


def _loops(section: str, up: Mapping[str, str | None], field: str) -> list[str]:
    """Entries whose ``field`` chain comes back to them (a manager loop never finds a top)."""
    found: list[str] = []
    for start in up:
        seen = {start}
        current = up.get(start)
        while current is not None and current in up:
            if current == start:
                found.append(f"{section}.{start}.{field}: the chain loops back to {start!r}")
                break
            if current in seen:
                break  # a loop further up, reported from its own members
            seen.add(current)
            current = up.get(current)
    return found
