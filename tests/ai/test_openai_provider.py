"""``ai-review`` with the OpenAI-compatible provider, on a real worker against the local server."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from temporalio.client import Client, WorkflowFailureError
from temporalio.exceptions import ActivityError, ApplicationError, TimeoutError, TimeoutType

from activities.ai.prompts import render
from shenpi.db.ai_results import get_result
from tests.ai.conftest import ai_worker, openai_settings, review_input, run_probe
from tests.ai.fake_openai import FakeOpenAi


def _failure(err: pytest.ExceptionInfo[WorkflowFailureError]) -> BaseException | None:
    cause = err.value.cause
    assert isinstance(cause, ActivityError)
    return cause.cause


async def test_confident_answer_becomes_a_validated_result_with_metrics(
    client: Client, task_queue: str, tmp_path: Path, fake_openai: FakeOpenAi
) -> None:
    settings = openai_settings(tmp_path, fake_openai)
    review = review_input()
    async with ai_worker(client, settings, task_queue):
        result = await run_probe(client, task_queue, review)

    assert (result.decision, result.confidence) == ("approve", 0.95)
    assert result.extracted == {"amount": 1260}
    assert result.cached is False
    # The configured model (the AI principal is ai:<model>), not the served snapshot's name.
    assert result.metrics.provider == "openai" and result.metrics.model == "approve"
    assert result.metrics.prompt_tokens > 0 and result.metrics.completion_tokens > 0
    assert result.metrics.request_id == "req-1"
    assert result.metrics.latency_ms > 0
    prompt = render(review, [])
    assert result.prompt_hash == hashlib.sha256(prompt.text.encode()).hexdigest()
    assert result.template_version == "default-review@1"
    # The model was asked for strict structured output, with the request in the prompt.
    sent = fake_openai.requests[0]
    assert sent["response_format"]["type"] == "json_schema"
    assert sent["response_format"]["json_schema"]["strict"] is True
    assert "reason: 出差北京" in sent["messages"][-1]["content"]


async def test_hesitant_answer_is_returned_as_is_for_the_workflow_to_weigh(
    client: Client, task_queue: str, tmp_path: Path, fake_openai: FakeOpenAi
) -> None:
    settings = openai_settings(tmp_path, fake_openai)
    async with ai_worker(client, settings, task_queue):
        result = await run_probe(client, task_queue, review_input(model="hesitant"))
    assert (result.decision, result.confidence) == ("approve", 0.55)
    assert result.risk_flags == ["unclear_receipt"]


@pytest.mark.parametrize("bad", ["bad-json", "wrong-shape"])
async def test_output_off_schema_is_retried_until_a_good_answer(
    client: Client, task_queue: str, tmp_path: Path, fake_openai: FakeOpenAi, bad: str
) -> None:
    fake_openai.script("flaky", [bad, "approve"])
    settings = openai_settings(tmp_path, fake_openai)
    async with ai_worker(client, settings, task_queue):
        result = await run_probe(client, task_queue, review_input(model="flaky"))
    assert result.decision == "approve"
    assert fake_openai.calls("flaky") == 2


async def test_server_errors_fail_the_activity_after_the_policys_attempts(
    client: Client, task_queue: str, tmp_path: Path, fake_openai: FakeOpenAi
) -> None:
    settings = openai_settings(tmp_path, fake_openai)
    async with ai_worker(client, settings, task_queue):
        with pytest.raises(WorkflowFailureError) as err:
            await run_probe(client, task_queue, review_input(model="error-500"), attempts=3)
    cause = _failure(err)
    assert isinstance(cause, ApplicationError) and cause.type == "AiProviderUnavailable"
    # Exactly one HTTP call per Temporal attempt: the client's own retries are off.
    assert fake_openai.calls("error-500") == 3


async def test_rejected_credentials_are_not_retried(
    client: Client, task_queue: str, tmp_path: Path, fake_openai: FakeOpenAi
) -> None:
    settings = openai_settings(tmp_path, fake_openai)
    async with ai_worker(client, settings, task_queue):
        with pytest.raises(WorkflowFailureError) as err:
            await run_probe(client, task_queue, review_input(model="unauthorized"), attempts=5)
    cause = _failure(err)
    assert isinstance(cause, ApplicationError) and cause.type == "AiProviderRejected"
    assert cause.non_retryable
    assert fake_openai.calls("unauthorized") == 1


async def test_slow_model_hits_the_start_to_close_timeout(
    client: Client, task_queue: str, tmp_path: Path, fake_openai: FakeOpenAi
) -> None:
    settings = openai_settings(tmp_path, fake_openai)
    async with ai_worker(client, settings, task_queue):
        with pytest.raises(WorkflowFailureError) as err:
            await run_probe(
                client, task_queue, review_input(model="slow"), attempts=1, timeout_seconds=1.0
            )
    cause = _failure(err)
    assert isinstance(cause, TimeoutError) and cause.type == TimeoutType.START_TO_CLOSE


async def test_identical_request_is_served_from_the_cache(
    client: Client, task_queue: str, tmp_path: Path, fake_openai: FakeOpenAi
) -> None:
    settings = openai_settings(tmp_path, fake_openai)
    review = review_input()
    async with ai_worker(client, settings, task_queue) as activities:
        first = await run_probe(client, task_queue, review)
        # Another instance asking exactly the same thing.
        second = await run_probe(
            client, task_queue, review.model_copy(update={"instance_id": "expense:other"})
        )
        async with (await activities.sessions())() as session:
            row = await get_result(session, first.result_id, with_transcript=True)
    assert fake_openai.calls("approve") == 1
    assert (first.cached, second.cached) == (False, True)
    assert second.result_id == first.result_id
    assert (second.decision, second.confidence, second.advice) == (
        first.decision,
        first.confidence,
        first.advice,
    )
    assert second.metrics.latency_ms == 0 and second.metrics.prompt_tokens == 0
    # The row keeps the advice for the inbox and the raw output, which never enters history.
    assert row is not None and row.advice == first.advice
    assert row.transcript is not None and '"decision": "approve"' in row.transcript


async def test_a_changed_request_misses_the_cache(
    client: Client, task_queue: str, tmp_path: Path, fake_openai: FakeOpenAi
) -> None:
    settings = openai_settings(tmp_path, fake_openai)
    async with ai_worker(client, settings, task_queue):
        first = await run_probe(client, task_queue, review_input({"amount": 1260}))
        second = await run_probe(client, task_queue, review_input({"amount": 1261}))
    assert fake_openai.calls("approve") == 2
    assert first.result_id != second.result_id and not second.cached


async def test_cache_off_asks_again_but_still_stores_the_advice(
    client: Client, task_queue: str, tmp_path: Path, fake_openai: FakeOpenAi
) -> None:
    settings = openai_settings(tmp_path, fake_openai, ai_cache=False)
    review = review_input()
    async with ai_worker(client, settings, task_queue) as activities:
        first = await run_probe(client, task_queue, review)
        second = await run_probe(client, task_queue, review)
        async with (await activities.sessions())() as session:
            row = await get_result(session, second.result_id)
    assert fake_openai.calls("approve") == 2
    assert not second.cached and second.result_id == first.result_id
    assert row is not None and row.advice == second.advice
