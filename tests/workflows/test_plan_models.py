"""The plan models are built on first use, and built ahead of it where plans run
(shenpi_core/plan_models.py). Each check runs in a new interpreter: in this one, earlier tests
have long built them."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from bpmn_compiler import compile_bpmn
from tests.helpers import REPO_ROOT

_COUNT = """
import json
from shenpi_core.plan_models import plan_models
def report():
    models = plan_models()
    print(json.dumps({"names": sorted(m.__name__ for m in models),
                      "built": sorted(m.__name__ for m in models if m.__pydantic_complete__)}))
"""


RECURSIVE = ("ContextEntry", "ContextLogic", "Binding", "InvocationLogic", "ListLogic")


def _run(body: str) -> dict[str, object]:
    script = _COUNT + textwrap.dedent(body)
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO_ROOT, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, object] = json.loads(done.stdout.splitlines()[-1])
    return result


def test_importing_the_plans_builds_none_of_their_models() -> None:
    seen = _run("import bpmn_compiler, bpmn_compiler.pipeline, shenpi_core.task_forms\nreport()")
    names = seen["names"]
    assert isinstance(names, list)
    assert {"ProcessPlan", "DecisionPlan", "FormPlan", "UserTask", "ContextLogic"} <= set(names)
    # Only the recursive decision models, built with their module (see the next tests).
    assert seen["built"] == sorted(RECURSIVE)


def test_build_plan_models_builds_every_one() -> None:
    seen = _run(
        """
        from shenpi_core.plan_models import build_plan_models
        build_plan_models()
        report()
        """
    )
    names = seen["names"]
    assert isinstance(names, list)
    assert seen["built"] == names


def test_a_plan_builds_without_looking_its_module_up(tmp_path: Path) -> None:
    """A build inside the workflow sandbox sees the sandbox's own ``sys.modules``, without the
    plan modules passed through from outside: a model that needs its module's names to build
    (the recursive decision models) is built at import instead, the others need none."""
    process = compile_bpmn((REPO_ROOT / "processes" / "purchase-approval.bpmn").read_bytes()).plan
    (tmp_path / "plan.json").write_text(process.model_dump_json(), encoding="utf-8")
    _run(
        f"""
        import pathlib, sys
        from shenpi_core.decision_plan import ContextLogic
        from shenpi_core.process_plan import ProcessPlan
        report()
        for name in ("shenpi_core.decision_plan", "shenpi_core.process_plan",
                     "shenpi_core.task_forms", "shenpi_core.plan_models"):
            del sys.modules[name]
        nested = {{"entries": [{{"name": None, "logic": {{"kind": "list", "items": [
            {{"kind": "context", "entries": []}}]}}}}]}}
        logic = ContextLogic.model_validate(nested)
        assert logic.entries[0].logic.items[0].kind == "context", logic
        text = pathlib.Path({str(tmp_path / "plan.json")!r}).read_text(encoding="utf-8")
        plan = ProcessPlan.model_validate_json(text)
        assert plan.hash == {process.hash!r}, plan.hash
        assert plan.content_hash() == plan.hash
        """
    )


@pytest.mark.parametrize("module", ["workflows.interpreter", "workflows.embedded", "worker"])
def test_importing_the_workflows_builds_them(module: str) -> None:
    """Outside the sandbox, before any workflow task, whoever makes the worker or replayer."""
    seen = _run(f"import {module}\nreport()")
    names = seen["names"]
    assert isinstance(names, list)
    assert seen["built"] == names


def test_the_api_builds_them_before_its_first_request() -> None:
    seen = _run(
        """
        import tempfile
        from api.main import create_app
        from shenpi.settings import Settings
        with tempfile.TemporaryDirectory() as data_dir:
            create_app(Settings(_env_file=None, env="test", data_dir=data_dir))
        report()
        """
    )
    names = seen["names"]
    assert isinstance(names, list)
    assert seen["built"] == names
