"""Compile the BPMN compiler's modules with mypyc: ``make native`` (docs/architecture.md §7).

``python deploy/build_native.py [--unless-current]`` type-checks ``bpmn_compiler`` with the
project's mypy settings, has mypyc turn its modules into C, builds them with the C compiler, and
replaces ``build/native/bpmn_compiler/`` with the result and its manifest
(``bpmn_compiler.native``), which the package then runs instead of the sources for as long as
they stay as built. ``--unless-current`` does nothing when the build there matches the sources
and was made by the same Python and packages (mypy, the libraries whose types it read) as are
installed now. It needs mypy (a development dependency), setuptools, a C compiler and Python's
headers; a failed build leaves the last good one, or none, never a half-written one.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.metadata
import json
import os
import shutil
import sys
import sysconfig
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bpmn_compiler.native import (  # noqa: E402
    MANIFEST,
    current,
    manifest,
    native_folder,
    write_manifest,
)

# Modules kept as Python, each for its reason; every other module of the package is compiled.
KEEP_PYTHON = {
    "__init__.py": "it chooses the build, so it runs before any compiled module can",
    "native.py": "the same: it tells whether the build is current",
    "diagnostics.py": "it defines a pydantic model, which mypyc cannot compile",
    "coverage.py": "a script (python -m bpmn_compiler.coverage), run by hand and not timed",
}
# The compiled modules share one library, found in the package: bpmn_compiler/_mypyc__mypyc.*.so.
GROUP = "bpmn_compiler._mypyc"


def _modules() -> list[str]:
    return sorted(
        path.relative_to(ROOT).as_posix()
        for path in (ROOT / "bpmn_compiler").glob("*.py")
        if path.name not in KEEP_PYTHON
    )


def toolchain() -> str:
    """What made the build besides the sources: the Python and every installed package (mypy and
    the libraries whose types it checked against), as one digest. The package does not look at
    it when it imports (reading the installed packages costs more than the import saves)."""
    # The environment's own folders only: the checkout on ``sys.path`` may hold an egg-info of
    # its own, which comes and goes with builds.
    installed = sorted({sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]})
    packages = sorted(
        f"{dist.metadata['Name']}=={dist.version}"
        for dist in importlib.metadata.distributions(path=installed)
    )
    return hashlib.sha256("\n".join([sys.version, *packages]).encode()).hexdigest()


def is_current() -> bool:
    if not current(ROOT).compiled:
        return False
    recorded = json.loads((native_folder(ROOT) / MANIFEST).read_text())
    return bool(recorded.get("toolchain") == toolchain())


def _put_in_place(staged: Path, target: Path) -> None:
    """Copy the finished build beside the old one, then swap the two by renaming, so the folder
    the package reads is always a whole build (for a moment, none: the sources run)."""
    fresh = target.with_name(target.name + ".new")
    old = target.with_name(target.name + ".old")
    for leftover in (fresh, old):
        shutil.rmtree(leftover, ignore_errors=True)
    shutil.copytree(staged, fresh)
    if target.exists():
        target.rename(old)
    fresh.rename(target)
    shutil.rmtree(old, ignore_errors=True)


def build() -> Path:
    from mypyc.build import mypycify
    from setuptools import Distribution

    headers = Path(sysconfig.get_paths()["include"]) / "Python.h"
    if not headers.is_file():
        sys.exit(f"build_native: no {headers}: install Python's headers (Debian: python3-dev)")
    target = native_folder(ROOT)
    target.parent.mkdir(parents=True, exist_ok=True)
    # The sources as the build reads them: recorded first, so an edit made while it runs makes
    # the build fail below rather than pass for current.
    sources = {**manifest(ROOT), "toolchain": toolchain()}
    with tempfile.TemporaryDirectory(prefix="shenpi-native-") as scratch:
        work = Path(scratch)
        cwd = os.getcwd()
        os.chdir(ROOT)  # mypy reads the project's settings (pyproject.toml) from here
        try:
            extensions = mypycify(
                _modules(),
                opt_level="3",
                group_name=GROUP,
                target_dir=str(work / "c"),
            )
        finally:
            os.chdir(cwd)
        # setuptools' Distribution without ``setup()``: that would read the project's
        # pyproject.toml as packaging metadata, which is not what is built here.
        dist = Distribution({"name": "shenpi-native-compiler", "ext_modules": extensions})
        command = dist.get_command_obj("build_ext")
        command.build_lib = str(work / "lib")
        command.build_temp = str(work / "obj")
        command.parallel = os.cpu_count() or 1
        dist.run_command("build_ext")
        if manifest(ROOT)["sha256"] != sources["sha256"]:
            sys.exit("build_native: a source changed while it was built: run it again")
        staged = work / "lib" / "bpmn_compiler"
        write_manifest(staged, sources)
        _put_in_place(staged, target)
    return target


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--unless-current", action="store_true", help="do nothing if the build is current"
    )
    args = parser.parse_args()
    if args.unless_current and is_current():
        print(f"build_native: {native_folder(ROOT)} is current")
        return
    started = time.monotonic()
    target = build()
    count = len(list(target.glob("*.so")))
    print(f"build_native: {count} libraries in {target} ({time.monotonic() - started:.0f} s)")


if __name__ == "__main__":
    main()
