"""The worker's workflow cache comes from the settings: the bound on its memory per run."""

from __future__ import annotations

from temporalio.client import Client

from shenpi.settings import Settings
from tests.workflows.support import settings_for_tests
from worker import build_worker


async def test_the_workflow_cache_size_is_a_setting(client: Client) -> None:
    default = build_worker(client, task_queue="cache-default", settings=settings_for_tests())
    bounded = build_worker(
        client,
        task_queue="cache-bounded",
        settings=Settings(
            **{**settings_for_tests().model_dump(), "worker_max_cached_workflows": 2}
        ),
    )
    assert default.config()["max_cached_workflows"] == 1000
    assert bounded.config()["max_cached_workflows"] == 2
