"""From a provider's answer to what the workflow sees and what the ``ai_results`` row keeps."""

from __future__ import annotations

from typing import Any

from activities.ai.provider import ProviderAnswer, ProviderCall
from activities.ai.schema import AiOutput
from shenpi_core.contracts import AiMetrics, AiReviewResult


def result_of(call: ProviderCall, answer: ProviderAnswer) -> AiReviewResult:
    return build_result(
        answer.output,
        answer.metrics,
        prompt_hash=call.prompt.prompt_hash,
        template_version=call.prompt.template_version,
        result_id=call.result_id,
    )


def build_result(
    output: AiOutput, metrics: AiMetrics, *, prompt_hash: str, template_version: str, result_id: str
) -> AiReviewResult:
    return AiReviewResult(
        decision=output.decision,
        confidence=output.confidence,
        advice=output.advice,
        extracted=output.extracted,
        risk_flags=output.risk_flags,
        metrics=metrics,
        prompt_hash=prompt_hash,
        template_version=template_version,
        result_id=result_id,
    )


def row_of(call: ProviderCall, result: AiReviewResult | None, transcript: str) -> dict[str, Any]:
    """The ``ai_results`` row of a review (``result`` None: a callback job not answered yet)."""
    return {
        **answered(result),
        "result_id": call.result_id,
        "provider": result.metrics.provider if result else "callback",
        "model": call.model,
        "purpose": call.input.purpose,
        "process_id": call.input.process_id,
        "node_id": call.input.node_id,
        "template_version": call.prompt.template_version,
        "prompt_hash": call.prompt.prompt_hash,
        "transcript": transcript,
    }


def answered(result: AiReviewResult | None) -> dict[str, Any]:
    """The columns a result fills (all empty while a callback job is pending)."""
    return {
        "decision": result.decision if result else None,
        "confidence": result.confidence if result else None,
        "advice": result.advice if result else None,
        "risk_flags": result.risk_flags if result else [],
        "result": result.model_dump(mode="json") if result else None,
    }
