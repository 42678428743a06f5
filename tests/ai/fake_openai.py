"""A local OpenAI-compatible server for tests: real HTTP on 127.0.0.1, driven by the real client.

``POST /v1/chat/completions`` answers by *scenario*, chosen per request by the model name
(``model="approve"``, ``"hesitant"``, ``"bad-json"``...), scripted per model with
:meth:`FakeOpenAi.script` (a list played in order, the last one repeating), or by a function of
the request's body (:meth:`FakeOpenAi.read_with`: a model that answers by what the prompt says).
Every call is counted and kept (``calls(model)``, ``requests``), so tests can prove what the
engine did.

    async with running_fake_openai() as server:
        settings = Settings(ai_provider="openai", ai_base_url=server.base_url, ...)
        server.script("gpt-test", ["bad-json", "approve"])  # first attempt bad, then good
"""

from __future__ import annotations

import asyncio
import itertools
import json
from collections import Counter
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.helpers import serve_asgi


@dataclass(frozen=True)
class Reply:
    """One answer: a status, the assistant's message content (or an error body), a delay."""

    status: int = 200
    content: str | None = None
    delay: float = 0.0  # seconds before answering (slow models, start-to-close timeouts)


def answer(
    decision: str,
    confidence: float,
    advice: str = "",
    *,
    extracted: list[dict[str, Any]] | None = None,
    risk_flags: list[str] | None = None,
    delay: float = 0.0,
) -> Reply:
    """A well-formed structured answer."""
    body = {
        "decision": decision,
        "confidence": confidence,
        "advice": advice,
        "extracted": extracted or [],
        "risk_flags": risk_flags or [],
    }
    return Reply(content=json.dumps(body, ensure_ascii=False), delay=delay)


SLOW_SECONDS = 30.0

SCENARIOS: dict[str, Reply] = {
    "approve": answer(
        "approve",
        0.95,
        "Within policy: amount and purpose match earlier approvals.",
        extracted=[{"name": "amount", "value": 1260}],
    ),
    "reject": answer("reject", 0.93, "Over the limit without a reason.", risk_flags=["over_limit"]),
    "hesitant": answer(
        "approve", 0.55, "Probably fine; the receipt is unclear.", risk_flags=["unclear_receipt"]
    ),
    "abstain": answer("abstain", 0.2, "Cannot tell from the request."),
    "bad-json": Reply(content='{"decision": "approve", "confidence": 0.9, "advice": '),
    "wrong-shape": Reply(content=json.dumps({"verdict": "yes", "score": 9})),
    "slow": answer("approve", 0.95, "Slowly approved.", delay=SLOW_SECONDS),
    "error-500": Reply(status=500, content="upstream exploded"),
    "unauthorized": Reply(status=401, content="invalid api key"),
}


@dataclass
class FakeOpenAi:
    """The server's state: scripts per model, call counts, the requests received."""

    base_url: str = ""  # ".../v1", what ``openai.AsyncOpenAI(base_url=...)`` takes
    scripts: dict[str, list[Reply]] = field(default_factory=dict)
    counts: Counter[str] = field(default_factory=Counter)
    requests: list[dict[str, Any]] = field(default_factory=list)
    # model -> a function of the request body: a model that answers by what the prompt says.
    readers: dict[str, Callable[[dict[str, Any]], Reply]] = field(default_factory=dict)
    _ids: Callable[[], int] = field(default_factory=lambda: itertools.count(1).__next__)
    closing: asyncio.Event = field(default_factory=asyncio.Event)

    def script(self, model: str, replies: list[Reply | str]) -> None:
        """Answers for ``model`` in order (scenario names or replies); the last one repeats."""
        self.scripts[model] = [SCENARIOS[r] if isinstance(r, str) else r for r in replies]

    def read_with(self, model: str, reader: Callable[[dict[str, Any]], Reply]) -> None:
        """``model`` answers each request with ``reader(body)``: what the prompt says decides."""
        self.readers[model] = reader

    def calls(self, model: str | None = None) -> int:
        return self.counts[model] if model is not None else sum(self.counts.values())

    def reply_for(self, model: str) -> Reply:
        n = self.counts[model]
        self.counts[model] += 1
        script = self.scripts.get(model)
        if script:
            return script[min(n, len(script) - 1)]
        # "route:<flow id>" picks that flow confidently; otherwise the model names a scenario.
        if model.startswith("route:"):
            return answer(model.removeprefix("route:"), 0.9, "This path fits the request.")
        return SCENARIOS.get(model, SCENARIOS["approve"])

    async def chat_completions(self, request: Request) -> Response:
        body = await request.json()
        self.requests.append(body)
        model = str(body.get("model", ""))
        reader = self.readers.get(model)
        if reader is not None:
            self.counts[model] += 1
            reply = reader(body)
        else:
            reply = self.reply_for(model)
        if reply.delay and not await self._wait_or_close(reply.delay):
            return JSONResponse({"error": {"message": "shutting down"}}, status_code=503)
        request_id = f"req-{self._ids()}"
        headers = {"x-request-id": request_id}
        if reply.status != 200:
            error = {"error": {"message": reply.content or "error", "type": "server_error"}}
            return JSONResponse(error, status_code=reply.status, headers=headers)
        prompt_tokens = sum(len(str(m.get("content", ""))) for m in body.get("messages", []))
        completion = {
            "id": f"chatcmpl-{request_id}",
            "object": "chat.completion",
            "created": 1_763_700_000,
            "model": f"{model}-2026-11-01",  # as real endpoints do: the served snapshot
            "choices": [
                {
                    "index": 0,
                    "finish_reason": "stop",
                    "message": {"role": "assistant", "content": reply.content},
                }
            ],
            "usage": {
                "prompt_tokens": prompt_tokens // 4 + 1,
                "completion_tokens": len(reply.content or "") // 4 + 1,
                "total_tokens": prompt_tokens // 4 + len(reply.content or "") // 4 + 2,
            },
        }
        return JSONResponse(completion, headers=headers)

    async def _wait_or_close(self, seconds: float) -> bool:
        """Wait like a slow model; False if the server closes first (it never hangs a test)."""
        try:
            await asyncio.wait_for(self.closing.wait(), timeout=seconds)
        except TimeoutError:
            return True
        return False

    def app(self) -> Starlette:
        return Starlette(
            routes=[Route("/v1/chat/completions", self.chat_completions, methods=["POST"])]
        )


@asynccontextmanager
async def serve(app: Any) -> AsyncIterator[str]:
    """Serve an ASGI app on a free localhost port; a slow scenario still sleeping at the end is
    not waited for."""
    async with serve_asgi(app, lifespan="off", force_exit=True) as url:
        yield url


@asynccontextmanager
async def running_fake_openai() -> AsyncIterator[FakeOpenAi]:
    """A fresh fake server; ``base_url`` ends in ``/v1``."""
    fake = FakeOpenAi()
    async with serve(fake.app()) as url:
        fake.base_url = f"{url}/v1"
        try:
            yield fake
        finally:
            fake.closing.set()  # slow answers end now, so the server shuts down at once
