"""Fixtures of the AI tests: the local OpenAI-compatible server, settings, a worker running
``ai-review`` next to the probe workflow."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest_asyncio
from temporalio.client import Client
from temporalio.worker import Worker

from activities.ai.activity import AiReviewActivities
from shenpi.settings import Settings
from shenpi_core.contracts import AiReviewInput, AiReviewResult
from shenpi_core.process_plan import AiSpec
from tests.ai.fake_openai import FakeOpenAi, running_fake_openai
from tests.ai.probe import AiProbe, ProbeInput


@pytest_asyncio.fixture
async def fake_openai() -> AsyncIterator[FakeOpenAi]:
    """A fresh local OpenAI-compatible server (see ``tests/ai/fake_openai.py``)."""
    async with running_fake_openai() as server:
        yield server


def ai_settings(tmp_path: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {"env": "test", "data_dir": tmp_path / "shenpi", **overrides}
    return Settings(_env_file=None, **values)


def openai_settings(tmp_path: Path, server: FakeOpenAi, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "ai_provider": "openai",
        "ai_base_url": server.base_url,
        "ai_api_key": "test-key",
        "ai_model": "approve",
        **overrides,
    }
    return ai_settings(tmp_path, **values)


def review_input(
    variables: dict[str, Any] | None = None, *, model: str | None = None, **spec: Any
) -> AiReviewInput:
    return AiReviewInput(
        instance_id=f"expense:{uuid.uuid4().hex[:8]}",
        process_id="expense",
        node_id="review",
        node_name="Manager review",
        node_kind="user_task",
        spec=AiSpec(model=model, **spec),
        variables=variables if variables is not None else {"amount": 1260, "reason": "出差北京"},
    )


@asynccontextmanager
async def ai_worker(
    client: Client, settings: Settings, task_queue: str
) -> AsyncIterator[AiReviewActivities]:
    """A worker serving the probe workflow and the real ``ai-review`` activity."""
    activities = AiReviewActivities(settings)
    try:
        async with Worker(
            client, task_queue=task_queue, workflows=[AiProbe], activities=[activities.review]
        ):
            yield activities
    finally:
        await activities.aclose()


async def run_probe(
    client: Client, task_queue: str, review: AiReviewInput, **options: Any
) -> AiReviewResult:
    result: AiReviewResult = await client.execute_workflow(
        AiProbe.run,
        ProbeInput(review=review, **options),
        id=f"ai-probe-{uuid.uuid4()}",
        task_queue=task_queue,
    )
    return result
