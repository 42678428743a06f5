"""Activity ``ai-review``: render the prompt → cache lookup → provider → validate → store → metrics.

Every failure is an ``ApplicationError`` whose type says what went wrong (``activities.ai.schema``):
retryable when another attempt may succeed (provider down, bad output), not otherwise (auth,
broken template, missing configuration). After the retries the workflow applies the node's
fallback; the activity never decides that itself.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.ai.cache import cache_key
from activities.ai.metrics import AiMeter
from activities.ai.prompts import load_documents, render
from activities.ai.provider import Provider, ProviderCall, Sessions
from activities.ai.results import result_of, row_of
from activities.ai.schema import decisions_for, output_schema
from activities.heartbeat import heartbeating
from shenpi.blobs import BlobStore, open_blob_store
from shenpi.db.ai_results import get_result, put_result
from shenpi.db.lazy import LazyDatabase
from shenpi.extras import missing
from shenpi.settings import Settings
from shenpi_core.contracts import ACTIVITY_AI_REVIEW, AiReviewInput, AiReviewResult


class AiReviewActivities:
    """Owns the provider, the app database engine and the blob store (both made on first use)."""

    def __init__(
        self,
        settings: Settings,
        *,
        http: httpx.AsyncClient | None = None,
        provider: Provider | None = None,
    ) -> None:
        self._settings = settings
        self.sessions = LazyDatabase(settings)
        self._blobs: BlobStore | None = None
        self.provider = provider or build_provider(settings, self.sessions, http)

    def _blob_store(self) -> BlobStore:
        if self._blobs is None:
            self._blobs = open_blob_store(self._settings)
        return self._blobs

    @activity.defn(name=ACTIVITY_AI_REVIEW)
    async def review(self, input: AiReviewInput) -> AiReviewResult:
        """Review a request (or pick a route) with the configured provider, through the cache."""
        meter = AiMeter(activity.metric_meter())
        try:
            async with heartbeating():  # beats only when the workflow set a heartbeat timeout
                result = await self._review(input)
        except Exception as err:  # async completion (callbacks) is a BaseException: not counted
            failure = err.type if isinstance(err, ApplicationError) else type(err).__name__
            meter.failed(self.provider.name, failure)
            raise
        meter.reviewed(result, input.purpose)
        return result

    async def _review(self, input: AiReviewInput) -> AiReviewResult:
        documents = await load_documents(self._blob_store, input.variables)
        prompt = render(input, documents)
        decisions = decisions_for(input.purpose, input.options)
        call = ProviderCall(
            input, prompt, decisions, self.provider.model_for(input), output_schema(decisions)
        )
        prepared = await self.provider.prepare(call)
        call = replace(call, result_id=cache_key(self.provider.name, call, prepared.cache_salt))
        sessions = await self.sessions()
        if self._settings.ai_cache:
            cached = await self._cached(sessions, call.result_id)
            if cached is not None:
                return cached
        answer = await self.provider.answer(call, prepared)
        result = result_of(call, answer)
        async with sessions() as session:
            await put_result(session, row_of(call, result, answer.transcript), now=_now())
        return result

    async def _cached(
        self, sessions: async_sessionmaker[AsyncSession], result_id: str
    ) -> AiReviewResult | None:
        async with sessions() as session:
            row = await get_result(session, result_id)
        if row is None or row.result is None:  # unknown, or a callback still pending
            return None
        stored = AiReviewResult.model_validate(row.result)
        # Nothing was paid this time: no tokens, no provider time.
        metrics = stored.metrics.model_copy(
            update={"latency_ms": 0.0, "prompt_tokens": 0, "completion_tokens": 0}
        )
        return stored.model_copy(update={"cached": True, "metrics": metrics})

    async def aclose(self) -> None:
        try:
            await self.provider.aclose()
        finally:
            if self._blobs is not None:
                await self._blobs.aclose()
            await self.sessions.aclose()


def _now() -> datetime:
    return datetime.now(UTC)


def build_provider(
    settings: Settings, sessions: Sessions, http: httpx.AsyncClient | None
) -> Provider:
    """The provider ``settings.ai_provider`` names; its heavy parts load on first use."""
    if settings.ai_provider == "openai":
        try:
            from activities.ai.openai_provider import OpenAiProvider
        except ImportError as err:
            raise missing("ai", "SHENPI_AI_PROVIDER=openai", err) from err

        return OpenAiProvider(settings)
    if settings.ai_provider == "callback":
        from activities.ai.callback import CallbackProvider

        return CallbackProvider(settings, http, sessions)
    from activities.ai.local_reviewer import LocalReviewer

    return LocalReviewer(settings, sessions)
