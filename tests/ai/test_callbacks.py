"""Long AI jobs end to end: the activity submits a job to a local provider over HTTP, completes
async, and the provider calls the real API back (uvicorn) which completes the activity on the
real worker. Nothing is mocked."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from activities.ai.activity import AiReviewActivities
from activities.ai.callback import CallbackConfigError
from api.main import create_app
from shenpi.settings import Settings
from tests.ai.conftest import ai_settings, ai_worker, review_input, run_probe
from tests.ai.fake_openai import serve
from tests.api.conftest import run_api

SECRET = "callback-secret-for-tests"
GOOD: dict[str, Any] = {
    "decision": "reject",
    "confidence": 0.91,
    "advice": "Duplicate of last week's claim.",
    "extracted": [{"name": "invoice_number", "value": "00112233"}],
    "risk_flags": ["duplicate_claim"],
}
OFF_SCHEMA: dict[str, Any] = {"verdict": "no"}


@dataclass
class JobProvider:
    """Accepts jobs (202), then answers each one later: a heartbeat, then the scripted body."""

    answers: list[dict[str, Any]]
    jobs: list[dict[str, Any]] = field(default_factory=list)
    statuses: list[tuple[str, int]] = field(default_factory=list)  # (kind, HTTP status)
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)

    async def submit(self, request: Request) -> JSONResponse:
        job = await request.json()
        self.jobs.append(job)
        body = self.answers[min(len(self.jobs), len(self.answers)) - 1]
        task = asyncio.create_task(self._work(job, body))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return JSONResponse({"accepted": job["job_id"]}, status_code=202)

    async def _work(self, job: dict[str, Any], body: dict[str, Any]) -> None:
        async with httpx.AsyncClient(timeout=10) as http:
            beat = await http.post(job["heartbeat_url"], json={"progress": 0.5})
            self.statuses.append(("heartbeat", beat.status_code))
            answer = await http.post(job["callback_url"], json=body)
            self.statuses.append(("answer", answer.status_code))


@asynccontextmanager
async def callback_stack(
    env: WorkflowEnvironment, tmp_path: Path, task_queue: str, answers: list[dict[str, Any]]
) -> AsyncIterator[tuple[JobProvider, Settings]]:
    provider = JobProvider(answers)
    app = Starlette(routes=[Route("/jobs", provider.submit, methods=["POST"])])
    async with serve(app) as provider_url:
        settings = ai_settings(
            tmp_path,
            ai_provider="callback",
            ai_callback_submit_url=f"{provider_url}/jobs",
            ai_callback_secret=SECRET,
            jwt_secret="callback-tests-jwt-secret-long-enough-for-hs256",
        )
        async with run_api(create_app(settings, temporal_client=env.client)) as api_url:
            worker_settings = settings.model_copy(update={"public_url": api_url})
            async with ai_worker(env.client, worker_settings, task_queue):
                yield provider, worker_settings


async def test_job_answered_by_callback_completes_the_review(
    temporal_env: WorkflowEnvironment, client: Client, task_queue: str, tmp_path: Path
) -> None:
    async with callback_stack(temporal_env, tmp_path, task_queue, [GOOD]) as (provider, _):
        result = await run_probe(client, task_queue, review_input(model="slow-llm"))

    assert (result.decision, result.confidence) == ("reject", 0.91)
    assert result.extracted == {"invoice_number": "00112233"}
    assert result.risk_flags == ["duplicate_claim"]
    assert result.metrics.provider == "callback" and result.metrics.model == "slow-llm"
    assert len(provider.jobs) == 1
    job = provider.jobs[0]
    assert result.metrics.request_id == job["job_id"]
    assert job["schema"]["properties"]["decision"]["enum"] == ["approve", "reject", "abstain"]
    assert "reason: 出差北京" in job["prompt"]
    assert provider.statuses == [("heartbeat", 200), ("answer", 200)]


async def test_answer_off_schema_fails_the_attempt_and_the_next_job_succeeds(
    temporal_env: WorkflowEnvironment, client: Client, task_queue: str, tmp_path: Path
) -> None:
    answers = [OFF_SCHEMA, GOOD]
    async with callback_stack(temporal_env, tmp_path, task_queue, answers) as (provider, _):
        result = await run_probe(client, task_queue, review_input(), attempts=2)
    assert result.decision == "reject"
    assert len(provider.jobs) == 2
    assert provider.jobs[0]["job_id"] != provider.jobs[1]["job_id"]  # one job per attempt
    assert ("answer", 422) in provider.statuses


async def test_callback_with_a_bad_signature_is_refused(
    temporal_env: WorkflowEnvironment, client: Client, task_queue: str, tmp_path: Path
) -> None:
    async with callback_stack(temporal_env, tmp_path, task_queue, [GOOD]) as (provider, _):
        await run_probe(client, task_queue, review_input())
        url = provider.jobs[0]["callback_url"]
        forged = url[: -len("0" * 8)] + "0" * 8  # the last characters of the signature changed
        async with httpx.AsyncClient() as http:
            refused = await http.post(forged, json=GOOD)
            beat = await http.post(provider.jobs[0]["heartbeat_url"].replace("sig=", "sig=0"))
    assert refused.status_code == 403
    assert beat.status_code == 403


def test_callback_provider_without_submit_url_or_secret_stops_the_worker(tmp_path: Path) -> None:
    with pytest.raises(CallbackConfigError):
        AiReviewActivities(ai_settings(tmp_path, ai_provider="callback"))
    with pytest.raises(CallbackConfigError):
        AiReviewActivities(
            ai_settings(tmp_path, ai_provider="callback", ai_callback_submit_url="http://x/jobs")
        )
