"""What an AI review's result (or failure) does to the token that waited for it.

- user task: the AI decides as ``ai:<model>`` (``decide`` mode, confident, not human-required),
  or the task opens for people with the advice (without it in ``shadow`` mode), or the node's
  ``fallback`` applies;
- ``ai-review`` service task: the result becomes variables and the token moves on, even when the
  activity failed (the fallback is then the decision);
- AI-routed gateway: a confident choice of an outgoing flow is taken, else the conditions decide.

The waits call ``reviewed`` / ``failed``; the timeline gets ``ai_reviewed`` (or ``ai_failed``)
with the provider's metrics, the prompt hash and the template version.
"""

from __future__ import annotations

from typing import Any

from shenpi_core.contracts import AI_PRINCIPAL_PREFIX, AiAdvice, AiReviewResult
from shenpi_core.expressions import ExpressionError
from shenpi_core.process_plan import (
    AiSpec,
    ExclusiveGateway,
    ServiceTask,
    StartEvent,
    UserTask,
)
from workflows.ai import decide, metrics
from workflows.ai.start import service_spec
from workflows.engine import Engine
from workflows.tokens import Token

REVIEW_DECISIONS = ("approve", "reject")
AUTO = {"approve": "auto_approved", "reject": "auto_rejected"}  # metric outcomes
# Variables an extracted field never sets at top level (it stays under ``ai_extracted``).
ENGINE_KEYS = frozenset({"initiator", "approved", "decision", "outcome"})
AI_VARIABLE_PREFIX = "ai_"


def reviewed(engine: Engine, token_id: str, result: AiReviewResult) -> None:
    token = _reviewing(engine, token_id)
    if token is None:
        return
    node = engine.index.node(token.node_id)
    details = _details(result)
    if isinstance(node, UserTask) and node.ai is not None and node.ai.mode == "shadow":
        details["shadow"] = True
    engine.record(
        "ai_reviewed", node.id, actor=AI_PRINCIPAL_PREFIX + result.metrics.model, details=details
    )
    try:
        match node:
            case UserTask():
                _task_reviewed(engine, token, node, result)
            case ServiceTask():
                _service_reviewed(engine, token, node, result)
            case ExclusiveGateway():
                _routed(engine, token, node, result)
    except ExpressionError as err:
        engine.incident(token, "expression_error", err.message)


def failed(engine: Engine, token_id: str, message: str) -> None:
    """The activity failed after its retries (or timed out): the node's fallback applies."""
    token = _reviewing(engine, token_id)
    if token is None:
        return
    node = engine.index.node(token.node_id)
    fallback = decide.fallback_of(node) if isinstance(node, UserTask) else _spec_of(node).fallback
    engine.record("ai_failed", node.id, details={"message": message, "fallback": fallback})
    try:
        match node:
            case UserTask():
                decide.fall_back(engine, token, node, "failed", None)
            case ServiceTask():
                metrics.fallback(engine, node.id, "failed")
                failure = {"ai_decision": fallback, "ai_confidence": 0.0, "ai_error": message}
                engine.service_completed(token.id, failure)
            case ExclusiveGateway():
                _route_fallback(engine, token, node, "failed")
    except ExpressionError as err:
        engine.incident(token, "expression_error", err.message)


def confident(spec: AiSpec, result: AiReviewResult) -> bool:
    return result.decision in REVIEW_DECISIONS and result.confidence >= spec.threshold


def _task_reviewed(engine: Engine, token: Token, node: UserTask, result: AiReviewResult) -> None:
    assert node.ai is not None
    spec, advice = node.ai, advice_of(result)
    if spec.mode == "shadow":
        # Recorded (the timeline, ai_results), compared with the person's decision later
        # (metrics.agreement), but neither used nor shown: the task opens as without AI.
        metrics.outcome(engine, node.id, "shadowed")
        engine.open_user_task(token, node, None)
        return
    if spec.mode == "decide" and confident(spec, result) and not node.human_required:
        action: decide.Action = "approve" if result.decision == "approve" else "reject"
        principal = AI_PRINCIPAL_PREFIX + result.metrics.model
        metrics.outcome(engine, node.id, AUTO[action])
        decide.decide_as(engine, token, node, action, principal, advice, {"ai": "decided"})
        return
    if spec.mode == "decide" and not node.human_required:
        reason = "abstained" if result.decision not in REVIEW_DECISIONS else "below_threshold"
        decide.fall_back(engine, token, node, reason, advice)
        return
    metrics.outcome(engine, node.id, "handed_over")
    engine.open_user_task(token, node, advice)


def _service_reviewed(
    engine: Engine, token: Token, node: ServiceTask, result: AiReviewResult
) -> None:
    spec = service_spec(node)
    if confident(spec, result):
        decision = result.decision
        metrics.outcome(engine, node.id, AUTO[result.decision])
    else:
        decision = spec.fallback
        reason = "abstained" if result.decision not in REVIEW_DECISIONS else "below_threshold"
        metrics.fallback(engine, node.id, reason)
    extracted = dict(result.extracted)
    variables: dict[str, Any] = {
        **{k: v for k, v in extracted.items() if _may_add(engine, k)},
        "ai_extracted": extracted,
        "ai_decision": decision,
        "ai_confidence": result.confidence,
        "ai_advice": result.advice,
        "ai_risk_flags": list(result.risk_flags),
        "ai_result_id": result.result_id,
    }
    engine.service_completed(token.id, variables)


def _may_add(engine: Engine, key: str) -> bool:
    """Whether an extracted field may also become a variable of its own.

    The model reads text anyone can write (a request, a planted line in a document): it may add
    variables, never change one, nor one the engine decides by (who started, what was decided).
    """
    if key in engine.variables or key.startswith(AI_VARIABLE_PREFIX):
        return False
    return key not in ENGINE_KEYS and key != _initiator_variable(engine)


def _initiator_variable(engine: Engine) -> str:
    start = engine.index.node(engine.index.plan.start_node)
    declared = start.initiator_variable if isinstance(start, StartEvent) else None
    return declared or "initiator"


def _routed(engine: Engine, token: Token, node: ExclusiveGateway, result: AiReviewResult) -> None:
    assert node.ai is not None
    flow = next((f for f in engine.index.outgoing(node) if f.id == result.decision), None)
    if flow is None:
        reason = "abstained" if result.decision == "abstain" else "unknown_flow"
    elif result.confidence < node.ai.threshold:
        reason = "below_threshold"
    else:
        engine.record(
            "ai_routed",
            node.id,
            actor=AI_PRINCIPAL_PREFIX + result.metrics.model,
            details={"flow_id": flow.id, "confidence": result.confidence},
        )
        metrics.outcome(engine, node.id, "routed")
        engine.move(token, flow)
        return
    _route_fallback(engine, token, node, reason)


def _route_fallback(engine: Engine, token: Token, node: ExclusiveGateway, reason: str) -> None:
    engine.record("ai_route_fallback", node.id, details={"reason": reason})
    metrics.fallback(engine, node.id, reason)
    engine.route_by_conditions(token, node)  # as if the gateway had no AI


def advice_of(result: AiReviewResult) -> AiAdvice:
    return AiAdvice(
        decision=result.decision,
        confidence=result.confidence,
        advice=result.advice or None,
        risk_flags=list(result.risk_flags),
        provider=result.metrics.provider,
        model=result.metrics.model,
        cached=result.cached,
        result_id=result.result_id,
    )


def _reviewing(engine: Engine, token_id: str) -> Token | None:
    token = engine.token(token_id)
    if token is None or token.state != "wait" or not token.reviewing:
        return None  # the token ended or moved on (a boundary timer, a withdraw, a jump)
    engine.review_done(token)
    return token


def _spec_of(node: Any) -> AiSpec:
    if isinstance(node, ServiceTask):
        return service_spec(node)
    spec: AiSpec | None = getattr(node, "ai", None)
    return spec or AiSpec()


def _details(result: AiReviewResult) -> dict[str, Any]:
    m = result.metrics
    return {
        "decision": result.decision,
        "confidence": result.confidence,
        "provider": m.provider,
        "model": m.model,
        "cached": result.cached,
        "prompt_hash": result.prompt_hash,
        "template_version": result.template_version,
        "result_id": result.result_id,
        "request_id": m.request_id,
        "prompt_tokens": m.prompt_tokens,
        "completion_tokens": m.completion_tokens,
        "latency_ms": m.latency_ms,
    }
