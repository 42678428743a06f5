"""AI metrics reach the worker runtime's Prometheus endpoint (reviews, failures, tokens)."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from temporalio.client import Client, WorkflowFailureError
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.runtime import Runtime, TelemetryConfig
from temporalio.testing import WorkflowEnvironment

from tests.ai.conftest import ai_worker, openai_settings, review_input, run_probe
from tests.ai.fake_openai import FakeOpenAi
from tests.helpers import assert_eventually
from tests.ports import free_port
from worker import prometheus_config


async def test_reviews_failures_and_tokens_are_exported_to_prometheus(
    temporal_env: WorkflowEnvironment, task_queue: str, tmp_path: Path, fake_openai: FakeOpenAi
) -> None:
    port = free_port()
    runtime = Runtime(telemetry=TelemetryConfig(metrics=prometheus_config(f"127.0.0.1:{port}")))
    client = await Client.connect(
        temporal_env.client.service_client.config.target_host,
        data_converter=pydantic_data_converter,
        runtime=runtime,
    )
    settings = openai_settings(tmp_path, fake_openai)
    async with ai_worker(client, settings, task_queue):
        await run_probe(client, task_queue, review_input())
        await run_probe(client, task_queue, review_input())  # served by the cache
        with pytest.raises(WorkflowFailureError):
            await run_probe(client, task_queue, review_input(model="error-500"), attempts=2)

    async def exported() -> str:
        async with httpx.AsyncClient() as http:
            response = await http.get(f"http://127.0.0.1:{port}/metrics")
        assert response.status_code == 200
        text = response.text
        assert "shenpi_ai_reviews" in text
        assert 'cached="false"' in text and 'cached="true"' in text
        assert "shenpi_ai_failures" in text and 'type="AiProviderUnavailable"' in text
        assert "shenpi_ai_tokens" in text and "shenpi_ai_confidence" in text
        return text

    text = await assert_eventually(exported)
    reviews = [line for line in text.splitlines() if line.startswith("shenpi_ai_reviews")]
    assert any('outcome="approve"' in line and 'provider="openai"' in line for line in reviews)
    # Prometheus's conventions: counters end in _total; the latency is in seconds, and the
    # confidence's buckets cover 0..1 rather than sitting all in the first one.
    assert all(line.startswith("shenpi_ai_reviews_total") for line in reviews), reviews
    assert "shenpi_ai_provider_latency_seconds_bucket" in text
    assert any(
        line.startswith("shenpi_ai_confidence_bucket") and 'le="0.9"' in line
        for line in text.splitlines()
    ), text
