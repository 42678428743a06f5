"""Compile the BPMN compiler's modules with mypyc: ``make native`` (docs/architecture.md §7).

``python deploy/build_native.py`` type-checks ``bpmn_compiler`` with the project's mypy settings,
has mypyc turn its modules into C, builds them with the C compiler, and replaces
``build/native/bpmn_compiler/`` with the result and its manifest (``bpmn_compiler.native``), which
the package then runs instead of the sources for as long as they stay as built. It needs mypy (a
development dependency), setuptools, a C compiler and Python's headers; a failed build leaves no
folder behind, and the sources run.
"""

from __future__ import annotations

import os
import shutil
import sys
import sysconfig
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bpmn_compiler.native import manifest, native_folder, write_manifest  # noqa: E402

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


def build() -> Path:
    """Build into a fresh folder, then put it in place of the old one: a build that fails midway
    leaves the last good one, or none, never a half-written one."""
    from mypyc.build import mypycify
    from setuptools import Distribution

    headers = Path(sysconfig.get_paths()["include"]) / "Python.h"
    if not headers.is_file():
        sys.exit(f"build_native: no {headers}: install Python's headers (Debian: python3-dev)")
    target = native_folder(ROOT)
    target.parent.mkdir(parents=True, exist_ok=True)
    # The sources as the build reads them: recorded first, so an edit made while it runs makes
    # the build fail below rather than pass for current.
    sources = manifest(ROOT)
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
        old = target.with_name(target.name + ".old")
        shutil.rmtree(old, ignore_errors=True)
        if target.exists():
            target.rename(old)
        shutil.copytree(staged, target)
        shutil.rmtree(old, ignore_errors=True)
    return target


def main() -> None:
    started = time.monotonic()
    target = build()
    count = len(list(target.glob("*.so")))
    print(f"build_native: {count} libraries in {target} ({time.monotonic() - started:.0f} s)")


if __name__ == "__main__":
    main()
