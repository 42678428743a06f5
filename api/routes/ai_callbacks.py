"""Callbacks of AI providers that answer later (async activity completion, docs/ai.md).

Authenticated by the signed URL the job carries, not by a user's token. A good answer completes
the waiting ``ai-review`` activity; an answer off the schema fails it (retryably: Temporal runs
the next attempt, a new job); a heartbeat keeps a long job's activity alive.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body, Query
from pydantic import BaseModel
from temporalio.client import AsyncActivityHandle, Client
from temporalio.exceptions import ApplicationError

from activities.ai.callback import CALLBACK_PATH, decode_token, result_id_of, signature_ok
from activities.ai.results import answered, build_result
from activities.ai.schema import AiOutput, parse_output
from api.deps import SessionDep, SettingsDep, TemporalClientDep
from api.errors import ApiError
from shenpi.db.ai_results import answer_job, get_result
from shenpi.db.models import AiResult
from shenpi.settings import Settings
from shenpi_core.contracts import AiMetrics, AiReviewResult

router = APIRouter(prefix=CALLBACK_PATH, tags=["ai"])

Token = Annotated[str, Query(description="The activity's task token (base64url)")]
Signature = Annotated[str, Query(description="HMAC-SHA256 of the job id and the token")]


class CallbackAccepted(BaseModel):
    accepted: bool = True
    job_id: str


@router.post("/{job_id}")
async def complete_job(
    job_id: str,
    token: Token,
    sig: Signature,
    body: Annotated[dict[str, Any], Body()],
    client: TemporalClientDep,
    session: SessionDep,
    settings: SettingsDep,
) -> CallbackAccepted:
    """A provider's answer: completes the waiting review, or fails the attempt if off schema."""
    handle = _handle(client, settings, job_id, token, sig)
    row = await get_result(session, result_id_of(job_id), with_transcript=True)
    if row is None:
        raise ApiError(404, "not_found", f"no AI job {job_id!r}")
    output = _parsed(body, row)
    if isinstance(output, ApplicationError):
        await handle.fail(output)
        raise ApiError(422, "invalid_output", str(output))
    result = _result(row, output, job_id)
    # Completed first: an activity that no longer waits (answered, timed out) refuses, and a
    # replayed callback then stores nothing. The row takes only the answer of the job it awaits.
    await handle.complete(result)
    transcript = {**json.loads(row.transcript or "{}"), "answer": body}
    changes = {**answered(result), "transcript": json.dumps(transcript, ensure_ascii=False)}
    await answer_job(session, row.result_id, job_id, changes, now=datetime.now(UTC))
    return CallbackAccepted(job_id=job_id)


@router.post("/{job_id}/heartbeat")
async def heartbeat_job(
    job_id: str,
    token: Token,
    sig: Signature,
    client: TemporalClientDep,
    settings: SettingsDep,
    body: Annotated[dict[str, Any] | None, Body()] = None,
) -> CallbackAccepted:
    """A long job is alive (``body``: progress details, recorded on the activity)."""
    handle = _handle(client, settings, job_id, token, sig)
    await handle.heartbeat(*([body] if body else []))
    return CallbackAccepted(job_id=job_id)


def _handle(
    client: Client, settings: Settings, job_id: str, token: str, sig: str
) -> AsyncActivityHandle:
    if not signature_ok(settings.ai_callback_secret, job_id, token, sig):
        raise ApiError(403, "forbidden", "bad callback signature")
    return client.get_async_activity_handle(task_token=decode_token(token))


def _parsed(body: dict[str, Any], row: AiResult) -> AiOutput | ApplicationError:
    decisions = json.loads(row.transcript or "{}").get("job", {}).get("decisions", [])
    try:
        return parse_output(body, decisions)
    except ApplicationError as err:  # the retryable AiBadOutput: handed to the activity
        return err


def _result(row: AiResult, output: AiOutput, job_id: str) -> AiReviewResult:
    # The provider's latency: from the job's submission to its answer (rows older than the
    # job columns have only their creation time).
    started = row.job_started_at or row.created_at
    latency_ms = (datetime.now(UTC) - started).total_seconds() * 1000
    metrics = AiMetrics(
        provider="callback", model=row.model, latency_ms=latency_ms, request_id=job_id
    )
    return build_result(
        output,
        metrics,
        prompt_hash=row.prompt_hash,
        template_version=row.template_version,
        result_id=row.result_id,
    )
