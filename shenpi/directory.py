"""Who approves: the directory of users, groups and departments behind ``manager(initiator, 2)``.

A :class:`DirectoryProvider` answers the lookups approval expressions make. The default,
:class:`YamlDirectory`, reads one YAML file (``Settings.resolved_directory_file``)::

    users:
      alice: {name: Alice, manager: bob, department: sales, groups: [finance],
              wechat_work_userid: A1, email: alice@example.com, channels: [wechat_work, email]}
      bob: {name: Bob, department: sales}
    groups:
      finance: {members: [carol]}   # members also come from each user's `groups`
    departments:
      sales: {leader: bob, parent: hq}
      hq: {leader: dave}

Every reference (a manager, a leader, a parent, a member) must name an entry of the file, and
manager and parent chains must not loop: a file that breaks a rule is refused whole with every
problem listed. The file is re-read when its modification time changes (checked on use); a broken
edit is logged and the last good version stays in service, so a typo never stops approvals.

Lookups run in the ``shenpi-directory`` activity, never in workflow code (they are I/O). A provider
is synchronous: a later WeChat Work contacts provider will call a blocking SDK, and the activity
runs on the worker's thread pool.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from shenpi.directory_file import DirectoryError, DirectoryFile, UserEntry, load_directory_file

log = logging.getLogger(__name__)

__all__ = [
    "DirectoryError",
    "DirectoryFile",
    "DirectoryLookupError",
    "DirectoryProvider",
    "YamlDirectory",
    "directory_functions",
    "load_directory_file",
]


class DirectoryLookupError(LookupError):
    """A lookup names a user, group or department the directory does not know."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class DirectoryProvider(Protocol):
    """What approval expressions may ask of a directory (YAML today, WeChat Work contacts later)."""

    def manager(self, user: str, levels: int = 1) -> str | None:
        """The manager ``levels`` up from ``user``; None when the chain ends before that."""

    def members(self, group: str) -> list[str]:
        """The user ids of a group, in a stable order."""

    def dept_leader(self, dept: str) -> str | None:
        """The leader of a department; None if it has none."""

    def department(self, user: str) -> str | None:
        """The department of a user; None if they have none."""

    def groups_of(self, user: str) -> list[str]:
        """The groups a user belongs to."""


@dataclass(frozen=True)
class _Snapshot:
    data: DirectoryFile
    members: dict[str, list[str]]  # group -> users: the groups section plus users' own groups
    stamp: tuple[int, int] | None  # (mtime_ns, size) of the file it came from; None: no file


def _snapshot(data: DirectoryFile, stamp: tuple[int, int] | None) -> _Snapshot:
    members: dict[str, list[str]] = {g: list(e.members) for g, e in data.groups.items()}
    for uid, user in data.users.items():
        for group in user.groups:
            listed = members.setdefault(group, [])
            if uid not in listed:
                listed.append(uid)
    return _Snapshot(data, members, stamp)


class YamlDirectory:
    """The directory from a YAML file, re-read when the file changes (thread-safe)."""

    def __init__(self, path: Path) -> None:
        """Load ``path`` now: a broken file at start is an error, a missing one is empty."""
        self.path = path
        self._lock = threading.Lock()
        self._failed_stamp: tuple[int, int] | None = None
        stamp = self._stamp()
        if stamp is None:
            log.warning("no directory file at %s: directory lookups will find nobody", path)
            self._current = _snapshot(DirectoryFile(), None)
        else:
            self._current = _snapshot(load_directory_file(path), stamp)

    def _stamp(self) -> tuple[int, int] | None:
        try:
            st = self.path.stat()
        except FileNotFoundError:
            return None
        return (st.st_mtime_ns, st.st_size)

    def _fresh(self) -> _Snapshot:
        """The current snapshot, re-read first if the file changed since it was loaded."""
        with self._lock:
            stamp = self._stamp()
            if stamp is None or stamp == self._current.stamp or stamp == self._failed_stamp:
                return self._current  # a deleted file keeps the last good directory too
            try:
                self._current = _snapshot(load_directory_file(self.path), stamp)
                self._failed_stamp = None
                log.info("directory reloaded from %s", self.path)
            except DirectoryError as err:
                self._failed_stamp = stamp  # do not re-parse the same broken file on every use
                log.error("directory not reloaded, keeping the last good version: %s", err)
            return self._current

    def _user(self, snap: _Snapshot, user: str) -> UserEntry:
        entry = snap.data.users.get(user)
        if entry is None:
            raise DirectoryLookupError(f"unknown user {user!r} in the directory")
        return entry

    def manager(self, user: str, levels: int = 1) -> str | None:
        snap = self._fresh()
        current: str | None = user
        for _ in range(levels):
            assert current is not None
            current = self._user(snap, current).manager
            if current is None:
                return None
        return current

    def members(self, group: str) -> list[str]:
        snap = self._fresh()
        if group not in snap.members:
            raise DirectoryLookupError(f"unknown group {group!r} in the directory")
        return list(snap.members[group])

    def dept_leader(self, dept: str) -> str | None:
        entry = self._fresh().data.departments.get(dept)
        if entry is None:
            raise DirectoryLookupError(f"unknown department {dept!r} in the directory")
        return entry.leader

    def department(self, user: str) -> str | None:
        snap = self._fresh()
        return self._user(snap, user).department

    def groups_of(self, user: str) -> list[str]:
        snap = self._fresh()
        self._user(snap, user)
        return [g for g, members in snap.members.items() if user in members]

    def contact(self, user: str) -> UserEntry | None:
        """The entry of ``user`` (contact fields, preferred channels); None if not listed."""
        return self._fresh().data.users.get(user)


def directory_functions(provider: DirectoryProvider) -> dict[str, Callable[..., Any]]:
    """The expression functions bound to ``provider`` (for ``evaluate(..., functions=...)``)."""

    def manager(user: Any, levels: Any = 1) -> str | None:
        if isinstance(levels, float) and levels.is_integer():
            levels = int(levels)  # FEEL and JSON numbers may arrive as 2.0
        if isinstance(levels, bool) or not isinstance(levels, int) or levels < 1:
            raise DirectoryLookupError(
                f"manager(): levels must be a whole number >= 1, not {levels!r}"
            )
        return provider.manager(_id(user, "manager"), levels)

    return {
        "manager": manager,
        "members": lambda group: provider.members(_id(group, "members")),
        "dept_leader": lambda dept: provider.dept_leader(_id(dept, "dept_leader")),
        "department": lambda user: provider.department(_id(user, "department")),
    }


def _id(value: Any, fn: str) -> str:
    if not isinstance(value, str) or not value:
        raise DirectoryLookupError(f"{fn}(): expects an id (a non-empty string), got {value!r}")
    return value
