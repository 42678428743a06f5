"""The compiled compiler (docs/architecture.md §7): it runs only when built from the sources as
they are, and it makes of every file exactly what the Python sources make of it.

``make test`` runs the suite with ``SHENPI_EXPECT_COMPILED=1``: there the compiled build must be
the one running, so a build that silently fell back to the sources fails here.
"""

from __future__ import annotations

import importlib.machinery
import json
import os
import subprocess
import sys
import types
from collections.abc import Callable
from pathlib import Path

import pytest

import bpmn_compiler
from bpmn_compiler import diagnostics, native, parse, plan
from bpmn_compiler.native import (
    MANIFEST,
    PURE_ENV,
    choose,
    manifest,
    native_folder,
    write_manifest,
)
from tests.compiler.outcomes import example_files, outcome
from tests.helpers import REPO_ROOT

EXPECTED = os.environ.get("SHENPI_EXPECT_COMPILED") == "1"
BUILD = bpmn_compiler.BUILD


def _needs_the_build() -> None:
    if EXPECTED:
        assert BUILD.compiled, BUILD.why
    elif not BUILD.compiled:
        pytest.skip(BUILD.why)


def test_the_compiled_modules_are_the_ones_imported() -> None:
    _needs_the_build()
    assert BUILD.folder is not None
    shims = [p for p in BUILD.folder.glob("*.so") if "__mypyc" not in p.name]
    assert len(shims) > 30, shims
    for shim in shims:
        name = f"bpmn_compiler.{shim.name.split('.')[0]}"
        # What the package's search path finds for the name (mypyc's modules write their own
        # ``__file__`` and spec, so those do not tell).
        found = importlib.machinery.PathFinder.find_spec(name, bpmn_compiler.__path__)
        assert found is not None and found.origin == str(shim), name
    # Compiled functions are native code, not Python functions.
    assert not isinstance(parse.parse, types.FunctionType)
    assert not isinstance(plan.plan_sized, types.FunctionType)
    # The modules that choose the build stay Python, and so does what mypyc cannot compile.
    assert isinstance(native.choose, types.FunctionType)
    assert isinstance(bpmn_compiler.compile_bpmn, types.FunctionType)
    assert diagnostics.__file__ == str(REPO_ROOT / "bpmn_compiler" / "diagnostics.py")


def test_every_file_compiles_as_the_python_sources_compile_it() -> None:
    """Every BPMN and DMN file of the tests, ``processes/`` and the corpus, through both builds:
    the same plans (as JSON), warnings, refusals and diagnostics, line numbers included."""
    _needs_the_build()
    files = [str(path) for path in example_files("*.bpmn", "*.dmn")]
    assert len(files) > 150, len(files)
    pure = subprocess.run(
        [sys.executable, "-m", "tests.compiler.outcomes", *files],
        cwd=REPO_ROOT,
        env={**os.environ, PURE_ENV: "1"},
        capture_output=True,
        check=True,
    )
    expected = json.loads(pure.stdout)
    # Through JSON as the other side came, so tuples and lists compare alike.
    differing = [path for path in files if _as_json(outcome(Path(path))) != expected[path]]
    assert not differing, differing


def _as_json(value: object) -> object:
    return json.loads(json.dumps(value))


@pytest.fixture
def checkout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the sources the manifest covers, with a "build" whose manifest matches them."""
    monkeypatch.delenv(PURE_ENV, raising=False)
    root = tmp_path / "checkout"
    for package in ("bpmn_compiler", "shenpi_core"):
        for source in (REPO_ROOT / package).rglob("*.py"):
            target = root / source.relative_to(REPO_ROOT)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(source.read_bytes())
    folder = native_folder(root)
    folder.mkdir(parents=True)
    write_manifest(folder, manifest(root))
    return root


def test_a_build_made_from_the_sources_as_they_are_is_chosen(checkout: Path) -> None:
    root = checkout
    build = choose(root)
    assert build.folder == native_folder(root), build.why
    assert build.compiled


@pytest.mark.parametrize(
    ("change", "named"),
    [
        (lambda root: (root / "bpmn_compiler" / "parse.py").write_text("# edited\n"), "parse.py"),
        (lambda root: (root / "shenpi_core" / "new_module.py").write_text(""), "new_module.py"),
        (lambda root: (root / "bpmn_compiler" / "plan.py").unlink(), "plan.py"),
    ],
    ids=["edited", "added", "removed"],
)
def test_a_source_changed_since_the_build_runs_as_python(
    checkout: Path, change: Callable[[Path], object], named: str
) -> None:
    root = checkout
    change(root)
    build = choose(root)
    assert build.folder is None
    assert "changed since the compiled build" in build.why and named in build.why


def test_a_source_touched_but_unchanged_still_runs_compiled(checkout: Path) -> None:
    """A checkout or a copy gives the sources new times: then their contents decide."""
    source = checkout / "bpmn_compiler" / "parse.py"
    os.utime(source, ns=(1_000_000_000, 1_000_000_000))
    assert choose(checkout).compiled, choose(checkout).why
    source.write_text(source.read_text() + "\n")
    assert not choose(checkout).compiled


def test_an_editors_hidden_file_is_not_a_source(checkout: Path) -> None:
    """Emacs keeps a link to nowhere named ``.#parse.py`` beside a file being edited."""
    (checkout / "bpmn_compiler" / ".#parse.py").symlink_to("nobody@host.1234:1")
    assert choose(checkout).compiled, choose(checkout).why


def test_a_source_that_cannot_be_read_runs_as_python_not_an_import_error(checkout: Path) -> None:
    (checkout / "bpmn_compiler" / "vanished.py").symlink_to(checkout / "nowhere.py")
    build = choose(checkout)
    assert build.folder is None
    assert "could not be compared" in build.why and "vanished.py" in build.why


def test_no_build_or_an_unreadable_manifest_runs_as_python(checkout: Path) -> None:
    root = checkout
    (native_folder(root) / MANIFEST).write_text("{not json")
    assert choose(root).folder is None
    assert "unreadable" in choose(root).why
    (native_folder(root) / MANIFEST).unlink()
    assert choose(root).folder is None
    assert "make native" in choose(root).why


def test_the_python_sources_can_be_asked_for(
    checkout: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = checkout
    monkeypatch.setenv(PURE_ENV, "1")
    assert choose(root).folder is None
    assert PURE_ENV in choose(root).why
    monkeypatch.setenv(PURE_ENV, "0")
    assert choose(root).compiled
