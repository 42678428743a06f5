"""Which build of the compiler runs: its modules compiled by mypyc, when built and current, or
the Python sources (docs/architecture.md §7).

``make native`` (``deploy/build_native.py``) compiles the compiler's modules into
``build/native/bpmn_compiler/`` and writes there a manifest: the SHA-256 of every Python source
the build type-checked against (the compiler's and ``shenpi_core``'s), and each one's size and
modification time. The package puts that folder ahead of its own on its search path only when the
manifest matches the sources file for file, so a source edited, added or removed since the build
runs as Python until the next build, never shadowed by an older build. ``SHENPI_PURE_COMPILER=1``
runs the sources regardless.

This module and the package's ``__init__`` stay Python: they choose the build.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

MANIFEST = "sources.json"
PURE_ENV = "SHENPI_PURE_COMPILER"
# The packages whose sources a build depends on: its own, and the one it imports from.
SOURCE_PACKAGES = ("bpmn_compiler", "shenpi_core")


@dataclass(frozen=True, slots=True)
class Build:
    """The build chosen: ``folder`` is searched before the sources (None: the sources only)."""

    folder: Path | None
    why: str  # for people: which build runs, and why not the compiled one

    @property
    def compiled(self) -> bool:
        return self.folder is not None


def native_folder(root: Path) -> Path:
    """Where ``make native`` puts the compiled compiler of the checkout at ``root``."""
    return root / "build" / "native" / "bpmn_compiler"


def _sources(root: Path) -> list[Path]:
    # Not an editor's hidden files (Emacs's ``.#parse.py`` is a link to nowhere).
    return [
        path
        for package in SOURCE_PACKAGES
        for path in sorted((root / package).rglob("*.py"))
        if not path.name.startswith(".")
    ]


def _name(path: Path, root: Path) -> str:
    return path.relative_to(root).as_posix()


def fingerprint(root: Path) -> dict[str, str]:
    """Every Python source of ``SOURCE_PACKAGES`` under ``root`` (path relative to it, with
    ``/``) and its SHA-256: what a build was made from."""
    return {_name(p, root): hashlib.sha256(p.read_bytes()).hexdigest() for p in _sources(root)}


def _stats(root: Path) -> dict[str, list[int]]:
    """Each source's size and modification time: Python's own test of whether a cached
    bytecode file is current, and half the cost of hashing every source at each import."""
    found: dict[str, list[int]] = {}
    for path in _sources(root):
        stat = path.stat()
        found[_name(path, root)] = [stat.st_size, stat.st_mtime_ns]
    return found


def manifest(root: Path) -> dict[str, object]:
    """What ``write_manifest`` records of the sources under ``root``."""
    return {"sha256": fingerprint(root), "stat": _stats(root)}


def write_manifest(folder: Path, recorded: dict[str, object]) -> None:
    (folder / MANIFEST).write_text(json.dumps(recorded, indent=1, sort_keys=True) + "\n")


def choose(root: Path) -> Build:
    """The build to run for the checkout at ``root``: the compiled one only when it is there, is
    not turned off, and was made from the sources as they are now."""
    if os.environ.get(PURE_ENV, "") not in ("", "0"):
        return Build(None, f"Python sources ({PURE_ENV} is set)")
    try:
        return current(root)
    except OSError as err:  # a source that vanished or cannot be read while it was looked at
        return Build(None, f"Python sources (the sources could not be compared: {err})")


def current(root: Path) -> Build:
    """The compiled build at ``root`` if it matches the sources as they are now, else the
    sources, whatever ``SHENPI_PURE_COMPILER`` says (``make native`` asks this)."""
    folder = native_folder(root)
    try:
        recorded = json.loads((folder / MANIFEST).read_text())
        built_from, stats = recorded["sha256"], recorded["stat"]
    except FileNotFoundError:
        return Build(None, "Python sources (no compiled build: `make native`)")
    except (OSError, ValueError, TypeError, KeyError) as err:
        return Build(None, f"Python sources (the compiled build's manifest is unreadable: {err!r})")
    if stats == _stats(root):  # nothing touched since the build
        return Build(folder, f"compiled ({folder})")
    # Touched (a checkout, a copy, an edit undone): the contents decide.
    now = fingerprint(root)
    if built_from != now:
        changed = sorted(
            name for name in built_from.keys() | now.keys() if built_from.get(name) != now.get(name)
        )
        more = f" and {len(changed) - 3} more" if len(changed) > 3 else ""
        shown = ", ".join(changed[:3]) + more
        return Build(None, f"Python sources (changed since the compiled build: {shown})")
    return Build(folder, f"compiled ({folder})")
