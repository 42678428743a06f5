"""Any OpenAI-compatible endpoint (OpenAI, DeepSeek, Qwen/DashScope, Ollama, vLLM, llama.cpp)
through the ``openai`` client, with structured output (``response_format`` = the JSON schema).

The client's own retries are off: Temporal retries the activity, so every attempt is in history.
"""

from __future__ import annotations

import json
import os
import time
from typing import Any

import openai
from temporalio.exceptions import ApplicationError

from activities.ai.provider import Prepared, ProviderAnswer, ProviderCall
from activities.ai.schema import (
    CONFIG_ERROR,
    PROVIDER_REJECTED,
    PROVIDER_UNAVAILABLE,
    bad_output,
    parse_output,
    retryable_status,
)
from shenpi.settings import Settings
from shenpi_core.contracts import AiMetrics, AiReviewInput

SYSTEM_PROMPT = (
    "You are a careful reviewer in an approval workflow. Answer only with JSON that matches the "
    "given schema; never invent facts that the request does not state."
)
# A local server (Ollama, vLLM) takes any key; the openai client refuses to start without one.
_NO_KEY = "not-needed"


class OpenAiProvider:
    name = "openai"

    def __init__(self, settings: Settings) -> None:
        self._default_model = settings.ai_model
        self._structured = settings.ai_structured_output
        self._client = openai.AsyncOpenAI(
            base_url=settings.ai_base_url or os.environ.get("OPENAI_BASE_URL"),
            api_key=settings.ai_api_key or os.environ.get("OPENAI_API_KEY") or _NO_KEY,
            max_retries=0,
        )

    def model_for(self, input: AiReviewInput) -> str:
        model = input.spec.model or self._default_model
        if not model:
            raise ApplicationError(
                "no model: set SHENPI_AI_MODEL or the node's model attribute",
                type=CONFIG_ERROR,
                non_retryable=True,
            )
        return model

    async def prepare(self, call: ProviderCall) -> Prepared:
        return Prepared()

    async def answer(self, call: ProviderCall, prepared: Prepared) -> ProviderAnswer:
        client = self._client.with_options(timeout=call.input.spec.timeout_seconds)
        started = time.perf_counter()
        try:
            raw = await client.chat.completions.with_raw_response.create(
                model=call.model,
                messages=[
                    {"role": "system", "content": self._system_prompt(call)},
                    {"role": "user", "content": call.prompt.text},
                ],
                response_format=self._response_format(call),
                temperature=0,
            )
            completion = raw.parse()
        except openai.APIStatusError as err:
            raise _status_error(err) from None
        except (openai.APITimeoutError, openai.APIConnectionError) as err:
            raise ApplicationError(
                f"the model endpoint did not answer: {type(err).__name__}",
                type=PROVIDER_UNAVAILABLE,
            ) from None
        latency_ms = (time.perf_counter() - started) * 1000
        message = completion.choices[0].message if completion.choices else None
        content = message.content if message is not None else None
        if not content:
            raise bad_output("the model answered no content (a refusal or an empty message)")
        usage = completion.usage
        metrics = AiMetrics(
            provider=self.name,
            # The configured name, not the served one ("gpt-4o-mini", not a dated snapshot):
            # the AI's principal is ai:<model>, and approver lists name it that way.
            model=call.model,
            prompt_tokens=usage.prompt_tokens if usage else 0,
            completion_tokens=usage.completion_tokens if usage else 0,
            latency_ms=latency_ms,
            request_id=raw.headers.get("x-request-id") or completion.id,
        )
        return ProviderAnswer(parse_output(content, call.decisions), metrics, transcript=content)

    def _system_prompt(self, call: ProviderCall) -> str:
        if self._structured == "json_schema":
            return SYSTEM_PROMPT
        # JSON mode only promises *some* JSON object: the schema has to be in the prompt.
        schema = json.dumps(call.schema, ensure_ascii=False)
        return f"{SYSTEM_PROMPT}\nThe JSON object must match this JSON schema: {schema}"

    def _response_format(self, call: ProviderCall) -> Any:
        if self._structured == "json_object":
            return {"type": "json_object"}
        return {
            "type": "json_schema",
            "json_schema": {"name": "shenpi_review", "strict": True, "schema": call.schema},
        }

    async def aclose(self) -> None:
        await self._client.close()


def _status_error(err: openai.APIStatusError) -> ApplicationError:
    retryable = retryable_status(err.status_code)
    return ApplicationError(
        f"the model endpoint answered {err.status_code}: {str(err.message)[:200]}",
        type=PROVIDER_UNAVAILABLE if retryable else PROVIDER_REJECTED,
        non_retryable=not retryable,
    )
