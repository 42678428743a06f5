"""Helpers for AI-step tests: plans with ``<shenpi:ai>`` put on a fixture's node, and a fake
``ai-review`` activity (registered under the real name) whose answer the node's prompt scripts.

The prompt of a test plan is a script, not a template: ``"approve 0.95"`` answers approve with
confidence 0.95 (``reject``, ``abstain`` or a flow id likewise), ``"fail"`` fails every attempt
with a retryable error, ``"flaky approve 0.9"`` fails the first attempt only, ``"slow"`` runs past
the timeout. Words ``key=value`` after the confidence are extracted fields (values read as JSON
where they parse, else as text), on top of ``category``. A prompt ``"{{ name }}"`` takes its
script from the variable ``name``.

``fake_ocr`` stands for the ``ocr`` activity: it reads a receipt of 128.00 and notes the task
queue it ran on.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from temporalio import activity
from temporalio.client import Client
from temporalio.exceptions import ApplicationError
from temporalio.worker import Worker

from shenpi_core.contracts import (
    ACTIVITY_AI_REVIEW,
    ACTIVITY_OCR,
    AiMetrics,
    AiReviewInput,
    AiReviewResult,
    ServiceTaskInput,
)
from shenpi_core.process_plan import AiSpec, ProcessPlan
from tests.workflows.approval_support import approval_activities
from tests.workflows.support import fake_activities, plan, settings_for_tests
from worker import build_worker

FAKE_MODEL = "fake-model"
PRINCIPAL = f"ai:{FAKE_MODEL}"
# What the fake was asked, by instance id (tests assert on the input the workflow built).
ASKED: dict[str, list[AiReviewInput]] = {}
OCR_QUEUES: dict[str, str] = {}  # instance id -> the task queue the fake OCR ran on


def with_ai(
    name: str, node_id: str, *, base: ProcessPlan | None = None, **fields: Any
) -> ProcessPlan:
    """The plan of fixture ``name`` (or ``base``) with ``fields`` set on node ``node_id``.

    ``ai`` may be given as a dict of ``AiSpec`` fields.
    """
    if isinstance(fields.get("ai"), dict):
        fields["ai"] = AiSpec(**fields["ai"])
    source = base or plan(name)
    nodes = tuple(n.model_copy(update=fields) if n.id == node_id else n for n in source.nodes)
    return source.model_copy(update={"nodes": nodes}).with_hash()


def with_flow_docs(source: ProcessPlan, docs: dict[str, str]) -> ProcessPlan:
    flows = tuple(
        f.model_copy(update={"documentation": docs[f.id]}) if f.id in docs else f
        for f in source.flows
    )
    return source.model_copy(update={"flows": flows}).with_hash()


@activity.defn(name=ACTIVITY_AI_REVIEW)
async def fake_ai_review(input: AiReviewInput) -> AiReviewResult:
    ASKED.setdefault(input.instance_id, []).append(input)
    prompt = input.spec.prompt or input.spec.policy or "abstain 0"
    if prompt.startswith("{{"):
        prompt = str(input.variables.get(prompt.strip("{} "), "abstain 0"))
    script = prompt.split()
    attempt = activity.info().attempt
    if script[0] == "fail":
        raise ApplicationError(f"model endpoint answered 500 (attempt {attempt})")
    if script[0] == "flaky":
        if attempt == 1:
            raise ApplicationError("model endpoint answered 500 (attempt 1)")
        script = script[1:]
    if script[0] == "slow":
        await activity.wait_for_worker_shutdown()  # past any timeout; ends with the worker
        raise ApplicationError("worker shut down", non_retryable=True)
    digest = hashlib.sha256(f"{input.node_id}:{prompt}".encode()).hexdigest()
    return AiReviewResult(
        decision=script[0],
        confidence=float(script[1]),
        advice=f"{script[0]}: the request looks {'fine' if script[0] == 'approve' else 'odd'}",
        extracted={
            "category": "travel",
            "ai_decision": "extracted values never win",
            **_fields(script[2:]),
        },
        risk_flags=["round_amount"],
        metrics=AiMetrics(
            provider="fake",
            model=input.spec.model or FAKE_MODEL,
            prompt_tokens=120,
            completion_tokens=30,
            latency_ms=42.0,
            request_id=f"req-{digest[:8]}",
        ),
        prompt_hash=digest,
        template_version="custom:test",
        result_id=f"res-{digest[:16]}",
    )


def _fields(words: list[str]) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for word in words:
        key, _, text = word.partition("=")
        try:
            fields[key] = json.loads(text)
        except ValueError:
            fields[key] = text
    return fields


@activity.defn(name=ACTIVITY_OCR)
async def fake_ocr(input: ServiceTaskInput) -> dict[str, Any]:
    OCR_QUEUES[input.instance_id] = activity.info().task_queue
    return {"total": "128.00", "ocr": {"kind": "receipt", "pages": 1, "confidence": 0.97}}


def ai_activities() -> list[Any]:
    return [*fake_activities(), *approval_activities(), fake_ai_review]


@asynccontextmanager
async def ai_worker(client: Client, task_queue: str, **options: Any) -> AsyncIterator[Worker]:
    """The production worker with the fake AI, the test directory and archive."""
    async with build_worker(
        client,
        task_queue=task_queue,
        settings=settings_for_tests(),
        extra_activities=ai_activities(),
        **options,
    ) as running:
        yield running
