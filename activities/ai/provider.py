"""What a provider is to the ``ai-review`` activity: prepare (cache-key material), then answer."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from activities.ai.prompts import RenderedPrompt
from activities.ai.schema import AiOutput
from shenpi_core.contracts import AiMetrics, AiReviewInput

# How providers reach the app database: the activity's engine, made (and migrated) on first use.
Sessions = Callable[[], Awaitable[async_sessionmaker[AsyncSession]]]


@dataclass(frozen=True)
class ProviderCall:
    """One review as a provider sees it: the input, its rendered prompt and allowed decisions."""

    input: AiReviewInput
    prompt: RenderedPrompt
    decisions: list[str]
    model: str
    schema: dict[str, Any]
    result_id: str = ""  # set once the cache key is known (the callback provider needs it)


@dataclass(frozen=True)
class Prepared:
    """What a provider adds to the cache key (the local reviewer: its precedent set's digest),
    and state it computed for :meth:`Provider.answer` so nothing is loaded twice."""

    cache_salt: str = ""
    state: Any = None


@dataclass(frozen=True)
class ProviderAnswer:
    output: AiOutput
    metrics: AiMetrics
    transcript: str = ""  # the raw model output: stored in the database, never in history
    extra: dict[str, Any] = field(default_factory=dict)


class Provider(Protocol):
    name: str

    def model_for(self, input: AiReviewInput) -> str: ...

    async def prepare(self, call: ProviderCall) -> Prepared: ...

    async def answer(self, call: ProviderCall, prepared: Prepared) -> ProviderAnswer: ...

    async def aclose(self) -> None: ...
