"""Provider ``callback``: long AI jobs that answer later, by calling the API back.

The activity submits the job (prompt, schema, a signed callback URL) and completes *async*: the
task token travels inside the callback URL (base64url), signed with HMAC-SHA256 over the job id
and the token with ``ai_callback_secret``. ``POST /ai/callbacks/{job_id}`` completes the activity
with the validated answer (or fails it, retryably, on bad output); ``.../heartbeat`` heartbeats
it, so a long job can show it is alive. The job must answer within the node's ``timeout``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

import httpx
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.ai.provider import Prepared, ProviderAnswer, ProviderCall, Sessions
from activities.ai.results import row_of
from activities.ai.schema import PROVIDER_REJECTED, PROVIDER_UNAVAILABLE, retryable_status
from shenpi.db.ai_results import put_result
from shenpi.settings import Settings
from shenpi_core.contracts import AiReviewInput

CALLBACK_PATH = "/ai/callbacks"
SUBMIT_TIMEOUT_SECONDS = 10.0


class CallbackConfigError(ValueError):
    """The callback provider lacks its submit URL or its signing secret."""


def sign(secret: str, job_id: str, token: str) -> str:
    message = f"{job_id}\n{token}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signature_ok(secret: str | None, job_id: str, token: str, sig: str) -> bool:
    return bool(secret) and hmac.compare_digest(sign(secret or "", job_id, token), sig)


def encode_token(task_token: bytes) -> str:
    return base64.urlsafe_b64encode(task_token).decode().rstrip("=")


def decode_token(token: str) -> bytes:
    return base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))


def result_id_of(job_id: str) -> str:
    """A job id is ``<result_id>-<attempt>``: each attempt is its own job."""
    return job_id.rpartition("-")[0]


def callback_urls(settings: Settings, job_id: str, task_token: bytes) -> tuple[str, str]:
    """The signed ``(callback_url, heartbeat_url)`` of one job."""
    token = encode_token(task_token)
    query = urlencode(
        {"token": token, "sig": sign(settings.ai_callback_secret or "", job_id, token)}
    )
    base = f"{settings.public_url.rstrip('/')}{CALLBACK_PATH}/{job_id}"
    return f"{base}?{query}", f"{base}/heartbeat?{query}"


class CallbackProvider:
    name = "callback"

    def __init__(
        self, settings: Settings, http: httpx.AsyncClient | None, sessions: Sessions
    ) -> None:
        if not settings.ai_callback_submit_url or not settings.ai_callback_secret:
            raise CallbackConfigError(
                "ai_provider=callback needs SHENPI_AI_CALLBACK_SUBMIT_URL and "
                "SHENPI_AI_CALLBACK_SECRET"
            )
        self._settings = settings
        self._submit_url = settings.ai_callback_submit_url
        self._own_http = http is None
        self._http = http or httpx.AsyncClient()
        self._sessions = sessions

    def model_for(self, input: AiReviewInput) -> str:
        return input.spec.model or self._settings.ai_model or "callback"

    async def prepare(self, call: ProviderCall) -> Prepared:
        return Prepared()

    async def answer(self, call: ProviderCall, prepared: Prepared) -> ProviderAnswer:
        info = activity.info()
        job_id = f"{call.result_id}-{info.attempt}"
        callback_url, heartbeat_url = callback_urls(self._settings, job_id, info.task_token)
        job = {
            "job_id": job_id,
            "model": call.model,
            "purpose": call.input.purpose,
            "prompt": call.prompt.text,
            "schema": call.schema,
            "decisions": call.decisions,
            "callback_url": callback_url,
            "heartbeat_url": heartbeat_url,
            "timeout_seconds": call.input.spec.timeout_seconds,
        }
        # The pending row tells the callback route how to build the result and which job it
        # waits for (its latency counts from this job's start); the job itself (the prompt
        # included) is the first half of the transcript.
        transcript = json.dumps({"job": _without_urls(job)}, ensure_ascii=False)
        now = _now()
        pending = {**row_of(call, None, transcript), "job_id": job_id, "job_started_at": now}
        async with (await self._sessions())() as session:
            await put_result(session, pending, now=now)
        await self._submit(job)
        activity.raise_complete_async()

    async def _submit(self, job: dict[str, Any]) -> None:
        try:
            response = await self._http.post(
                self._submit_url, json=job, timeout=SUBMIT_TIMEOUT_SECONDS
            )
        except httpx.HTTPError as err:
            raise ApplicationError(
                f"the job was not submitted: {type(err).__name__}", type=PROVIDER_UNAVAILABLE
            ) from None
        if retryable_status(response.status_code):
            raise ApplicationError(
                f"the provider answered {response.status_code}", type=PROVIDER_UNAVAILABLE
            )
        if response.status_code >= 400:
            raise ApplicationError(
                f"the provider refused the job: {response.status_code}",
                type=PROVIDER_REJECTED,
                non_retryable=True,
            )

    async def aclose(self) -> None:
        if self._own_http:
            await self._http.aclose()


def _without_urls(job: dict[str, Any]) -> dict[str, Any]:
    # The URLs carry the task token: a capability, kept out of the database.
    return {k: v for k, v in job.items() if not k.endswith("_url")}


def _now() -> datetime:
    return datetime.now(UTC)
