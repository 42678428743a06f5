"""Long AI jobs end to end: the activity submits a job to a local provider over HTTP, completes
async, and the provider calls the real API back (uvicorn) which completes the activity on the
real worker. Nothing is mocked."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import update
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from temporalio.client import Client, WorkflowFailureError
from temporalio.exceptions import ActivityError, ApplicationError
from temporalio.testing import WorkflowEnvironment

from activities.ai.activity import AiReviewActivities
from activities.ai.callback import CallbackConfigError
from api.main import create_app
from shenpi.db.ai_results import get_result
from shenpi.db.engine import create_engine, create_sessionmaker
from shenpi.db.models import AiResult
from shenpi.settings import Settings
from tests.ai.conftest import ai_settings, ai_worker, review_input, run_probe
from tests.ai.fake_openai import serve
from tests.api.conftest import run_api
from tests.helpers import assert_eventually

SECRET = "callback-secret-for-tests"
GOOD: dict[str, Any] = {
    "decision": "reject",
    "confidence": 0.91,
    "advice": "Duplicate of last week's claim.",
    "extracted": [{"name": "invoice_number", "value": "00112233"}],
    "risk_flags": ["duplicate_claim"],
}
APPROVE: dict[str, Any] = {
    "decision": "approve",
    "confidence": 0.99,
    "advice": "Looks fine.",
    "extracted": [],
    "risk_flags": [],
}
OFF_SCHEMA: dict[str, Any] = {"verdict": "no"}


@dataclass
class JobProvider:
    """Accepts jobs (202), then answers each one later: a heartbeat, then the scripted body."""

    answers: list[dict[str, Any]]
    refusals: list[int] = field(default_factory=list)  # statuses of the first submissions
    jobs: list[dict[str, Any]] = field(default_factory=list)
    statuses: list[tuple[str, int]] = field(default_factory=list)  # (kind, HTTP status)
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)

    async def submit(self, request: Request) -> JSONResponse:
        job = await request.json()
        self.jobs.append(job)
        if len(self.jobs) <= len(self.refusals):
            return JSONResponse({"refused": job["job_id"]}, self.refusals[len(self.jobs) - 1])
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
    env: WorkflowEnvironment,
    tmp_path: Path,
    task_queue: str,
    answers: list[dict[str, Any]],
    *,
    refusals: list[int] | None = None,
    **overrides: Any,
) -> AsyncIterator[tuple[JobProvider, Settings]]:
    provider = JobProvider(answers, refusals or [])
    app = Starlette(routes=[Route("/jobs", provider.submit, methods=["POST"])])
    async with serve(app) as provider_url:
        settings = ai_settings(
            tmp_path,
            ai_provider="callback",
            ai_callback_submit_url=f"{provider_url}/jobs",
            ai_callback_secret=SECRET,
            jwt_secret="callback-tests-jwt-secret-long-enough-for-hs256",
            **overrides,
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


async def _answered(provider: JobProvider, count: int, status: int = 200) -> None:
    """Wait until ``count`` answers got ``status``: the route stores an answer after completing."""

    async def check() -> None:
        assert provider.statuses.count(("answer", status)) >= count

    await assert_eventually(check)


async def _stored(settings: Settings, result_id: str) -> AiResult:
    engine = create_engine(settings.resolved_database_url)
    try:
        async with create_sessionmaker(engine)() as session:
            row = await get_result(session, result_id)
    finally:
        await engine.dispose()
    assert row is not None
    return row


async def test_a_replayed_callback_changes_neither_the_stored_advice_nor_the_cache(
    temporal_env: WorkflowEnvironment, client: Client, task_queue: str, tmp_path: Path
) -> None:
    async with callback_stack(temporal_env, tmp_path, task_queue, [GOOD]) as (provider, settings):
        first = await run_probe(client, task_queue, review_input())
        await _answered(provider, 1)
        async with httpx.AsyncClient() as http:
            replayed = await http.post(provider.jobs[0]["callback_url"], json=APPROVE)
        again = await run_probe(client, task_queue, review_input())
        row = await _stored(settings, first.result_id)
    # The activity no longer waits: 404, or 409 here where the probe workflow has ended too.
    assert replayed.status_code in (404, 409)
    assert (row.decision, row.advice, row.job_id) == ("reject", GOOD["advice"], None)
    assert again.cached and (again.decision, again.advice) == ("reject", GOOD["advice"])
    assert len(provider.jobs) == 1


async def test_job_submission_refused_with_408_409_429_or_5xx_is_retried(
    temporal_env: WorkflowEnvironment, client: Client, task_queue: str, tmp_path: Path
) -> None:
    refusals = [408, 409, 429, 503]
    async with callback_stack(temporal_env, tmp_path, task_queue, [GOOD], refusals=refusals) as (
        provider,
        _,
    ):
        result = await run_probe(client, task_queue, review_input(), attempts=5)
    assert result.decision == "reject"
    assert len(provider.jobs) == 5


async def test_job_submission_refused_with_400_is_not_retried(
    temporal_env: WorkflowEnvironment, client: Client, task_queue: str, tmp_path: Path
) -> None:
    async with callback_stack(temporal_env, tmp_path, task_queue, [GOOD], refusals=[400]) as (
        provider,
        _,
    ):
        with pytest.raises(WorkflowFailureError) as err:
            await run_probe(client, task_queue, review_input(), attempts=3)
    cause = err.value.cause
    assert isinstance(cause, ActivityError) and isinstance(cause.cause, ApplicationError)
    assert (cause.cause.type, cause.cause.non_retryable) == ("AiProviderRejected", True)
    assert len(provider.jobs) == 1


async def test_with_the_cache_off_a_repeated_question_is_timed_from_its_own_job(
    temporal_env: WorkflowEnvironment, client: Client, task_queue: str, tmp_path: Path
) -> None:
    answers = [GOOD, APPROVE]
    async with callback_stack(temporal_env, tmp_path, task_queue, answers, ai_cache=False) as (
        provider,
        settings,
    ):
        first = await run_probe(client, task_queue, review_input())
        await _answered(provider, 1)
        await _backdate(settings, first.result_id)  # the question was first asked long ago
        second = await run_probe(client, task_queue, review_input())
        await _answered(provider, 2)
        row = await _stored(settings, first.result_id)
    assert second.result_id == first.result_id and not second.cached
    assert second.metrics.latency_ms < 60_000  # this job's time, not the row's age
    assert (row.decision, row.advice) == ("approve", APPROVE["advice"])  # the latest answer


async def test_with_the_cache_off_a_pending_job_keeps_the_answered_advice(
    temporal_env: WorkflowEnvironment, client: Client, task_queue: str, tmp_path: Path
) -> None:
    answers = [GOOD, OFF_SCHEMA]
    async with callback_stack(temporal_env, tmp_path, task_queue, answers, ai_cache=False) as (
        provider,
        settings,
    ):
        first = await run_probe(client, task_queue, review_input())
        await _answered(provider, 1)
        with pytest.raises(WorkflowFailureError):  # asked again; that job never answers well
            await run_probe(client, task_queue, review_input(), attempts=1)
        await _answered(provider, 1, status=422)
        row = await _stored(settings, first.result_id)
    assert len(provider.jobs) == 2
    # Older tasks read the advice through result_id: the new job did not blank it.
    assert (row.decision, row.advice, row.risk_flags) == (
        "reject",
        GOOD["advice"],
        GOOD["risk_flags"],
    )
    assert row.result is not None and row.job_id == provider.jobs[1]["job_id"]


async def _backdate(settings: Settings, result_id: str) -> None:
    engine = create_engine(settings.resolved_database_url)
    long_ago = datetime(2020, 1, 1, tzinfo=UTC)
    try:
        async with create_sessionmaker(engine)() as session:
            stmt = update(AiResult).where(AiResult.result_id == result_id)
            await session.execute(stmt.values(created_at=long_ago, job_started_at=long_ago))
            await session.commit()
    finally:
        await engine.dispose()
