"""The plan models are built on first use, and built ahead of it where plans run
(shenpi_core/plan_models.py). Each check runs in a new interpreter: in this one, earlier tests
have long built them."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

from temporalio.testing import WorkflowEnvironment

from tests.helpers import REPO_ROOT

_COUNT = """
import json
from shenpi_core.plan_models import plan_models
def report():
    models = plan_models()
    print(json.dumps({"names": sorted(m.__name__ for m in models),
                      "built": sum(m.__pydantic_complete__ for m in models)}))
"""


def _run(body: str) -> dict[str, object]:
    script = _COUNT + textwrap.dedent(body)
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO_ROOT, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, object] = json.loads(done.stdout.splitlines()[-1])
    return result


def test_importing_the_plans_builds_none_of_their_models() -> None:
    seen = _run("import bpmn_compiler, bpmn_compiler.pipeline\nreport()")
    names = seen["names"]
    assert isinstance(names, list)
    assert {"ProcessPlan", "DecisionPlan", "FormPlan", "UserTask", "ContextLogic"} <= set(names)
    assert seen["built"] == 0


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
    assert seen["built"] == len(names)


def test_a_recursive_model_builds_on_its_first_use() -> None:
    """A boxed context inside a list inside a context: forward references resolved late."""
    _run(
        """
        from shenpi_core.decision_plan import ContextLogic
        nested = {"entries": [{"name": None, "logic": {"kind": "list", "items": [
            {"kind": "context", "entries": []}]}}]}
        logic = ContextLogic.model_validate(nested)
        assert logic.entries[0].logic.items[0].kind == "context", logic
        report()
        """
    )


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
    assert seen["built"] == len(names)


def test_the_worker_builds_them_before_any_workflow_task(temporal_env: WorkflowEnvironment) -> None:
    """So no build runs inside the workflow sandbox, whatever workflow comes first."""
    address = temporal_env.client.service_client.config.target_host
    seen = _run(
        f"""
        import asyncio, tempfile
        from temporalio.client import Client
        from temporalio.contrib.pydantic import pydantic_data_converter
        from shenpi.settings import Settings
        from worker import build_worker
        async def main():
            client = await Client.connect({address!r}, data_converter=pydantic_data_converter)
            with tempfile.TemporaryDirectory() as data_dir:
                settings = Settings(_env_file=None, env="test", data_dir=data_dir)
                build_worker(client, task_queue="plan-models", settings=settings)
        asyncio.run(main())
        report()
        """
    )
    names = seen["names"]
    assert isinstance(names, list)
    assert seen["built"] == len(names)
