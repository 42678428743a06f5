"""A user task decided without people: by the AI principal, or by the node's fallback.

Either way a task is added to the book for the deciding actor and decided at once through
``decisions.apply_to``, so the consequences are exactly those of a person deciding one task
(outputs, ``rejects`` routing on approval steps, a reject ending the instance or routed by a
gateway on plain tasks). On an approval step the decision is the whole step's: no task opens
for the approvers.
"""

from __future__ import annotations

from typing import Literal

from shenpi_core.contracts import AiAdvice, DecisionInput
from shenpi_core.process_plan import AiFallback, UserTask
from workflows import decisions, steps
from workflows.ai import metrics
from workflows.engine import Engine
from workflows.tokens import StepState, Token

FALLBACK_ACTOR = "system:ai-fallback"

Action = Literal["approve", "reject"]


def decide_as(
    engine: Engine,
    token: Token,
    node: UserTask,
    action: Action,
    actor: str,
    advice: AiAdvice | None,
    details: dict[str, str],
) -> None:
    due = steps.interrupting_due(engine, token)
    fields: dict[str, object] = {"assignee": actor, "ai": advice}
    if node.approval is not None:  # the whole step, as one single-approver step of the actor
        step_id = steps.next_step_id(engine, node)
        step = StepState(step_id=step_id, mode="single", approvers=[actor], opened=1, ai=advice)
        fields.update(step_id=step_id, mode="single")
    task = engine.book.add(node, engine.now(), due, **fields)
    if node.approval is None:  # a plain task is found by its token's task id
        engine.wait(token, task_id=task.task_id)
    else:
        engine.wait(token, step=step)
    opened = {"ref": task.ref, **({"step_id": task.step_id} if task.step_id else {})}
    engine.record("task_opened", node.id, task_id=task.task_id, details=opened)
    decision = DecisionInput(task_id=task.task_id, action=action, actor=actor)
    decisions.apply_to(engine, task, decision, details)


def fallback_of(node: UserTask) -> AiFallback:
    """The fallback that applies: ``manual`` wherever people always decide.

    A human-required task, and a task the AI only advises on or shadows: an outage must not
    decide what a hesitant answer would hand to people (the compiler refuses such models; plans
    built before that check, or by hand, may still say so).
    """
    assert node.ai is not None
    if node.human_required or node.ai.mode in ("advise", "shadow"):
        return "manual"
    return node.ai.fallback


def fall_back(
    engine: Engine, token: Token, node: UserTask, reason: str, advice: AiAdvice | None
) -> None:
    """No confident AI decision (``reason``): hand over, or decide as the fallback says."""
    fallback = fallback_of(node)
    metrics.fallback(engine, node.id, reason)
    engine.record("ai_fallback", node.id, details={"reason": reason, "fallback": fallback})
    if fallback == "manual":
        metrics.outcome(engine, node.id, "handed_over")
        engine.open_user_task(token, node, advice)
        return
    details = {"ai_fallback": reason}
    decide_as(engine, token, node, fallback, FALLBACK_ACTOR, advice, details)
