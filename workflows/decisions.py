"""Human decisions on user tasks: checking them (validator) and applying them (handler).

The update validator does not run again on replay, so ``apply`` re-checks and never relies on
anything the validator did; both are pure functions of the engine's state.
"""

from __future__ import annotations

from collections.abc import Mapping

from temporalio.exceptions import ApplicationError

from bpmn_compiler.process_plan import UserTask
from workflows import actions, rejects, steps, writes
from workflows.ai import metrics as ai_metrics
from workflows.contracts import AI_PRINCIPAL_PREFIX, DecisionInput, ErrorType, TaskView
from workflows.engine import Engine
from workflows.expressions import ExpressionError


def check(engine: Engine, decision: DecisionInput, *, inputs: bool = True) -> TaskView:
    """Raise the typed ApplicationError of a refused decision; return the task otherwise.

    ``inputs``: also check what the decision carries (variables, ids: ``writes``). The update
    handler skips it: the validator already did, what it depends on cannot change meanwhile, and
    a replayed history must not be refused for what an older build accepted.
    """
    if engine.finished:
        raise ApplicationError(
            f"instance is {engine.state.status}", type=ErrorType.INSTANCE_CLOSED, non_retryable=True
        )
    task = engine.book.get(decision.task_id)
    if task is not None and decision.actor.startswith(AI_PRINCIPAL_PREFIX):
        node = engine.index.node(task.node_id)
        if isinstance(node, UserTask) and node.human_required:  # separation of duties
            raise ApplicationError(
                f"{decision.actor} may not act on {task.task_id}: people decide it",
                type=ErrorType.NOT_ALLOWED,
                non_retryable=True,
            )
    if task is not None and actions.handles(task, decision):  # transfer, delegate, signers, jump
        task = actions.check(engine, decision)
    else:
        task = engine.book.check_decision(decision)
    if inputs:
        writes.check_inputs(engine, task, decision)
    return task


def apply(engine: Engine, decision: DecisionInput, signal_key: str | None = None) -> TaskView:
    """Apply a valid decision; the next nodes run on the next ``advance``, not awaited here."""
    # A signal has no validator: its inputs are checked here.
    task = check(engine, decision, inputs=signal_key is not None)
    details: dict[str, object] = {"signal_key": signal_key} if signal_key else {}
    if actions.handles(task, decision):
        return actions.apply(engine, decision, details)
    if decision.action == "claim":
        task.claimed_by = decision.actor
        engine.record(
            "claimed",
            task.node_id,
            task_id=task.task_id,
            actor=decision.actor,
            comment=decision.comment,
            details=details,
        )
        return task
    if task.kind == "resubmit":
        rejects.resubmitted(engine, task, decision, details)
        return task
    return apply_to(engine, task, decision, details)


def apply_to(
    engine: Engine, task: TaskView, decision: DecisionInput, details: Mapping[str, object]
) -> TaskView:
    """Approve or reject ``task`` as ``decision`` says, without checking who decides: the
    system's own decisions (a timeout's ``system:timeout``) come through here."""
    approved = decision.action == "approve"
    details = dict(details)
    if decision.variables:
        details["variables"] = writes.merge(engine.variables, decision.variables)
    # The engine's own keys are set after the caller's variables: routing relies on them.
    engine.variables.update({"approved": approved, "decision": decision.action})
    engine.book.close(task, "completed", "approved" if approved else "rejected", engine.now())
    engine.record(
        "approved" if approved else "rejected",
        task.node_id,
        task_id=task.task_id,
        actor=decision.actor,
        comment=decision.comment,
        details=details,
    )
    if not decision.actor.startswith((AI_PRINCIPAL_PREFIX, "system:")):
        ai_metrics.agreement(engine, task.node_id, decision.action)
    if task.step_id is not None:  # one approver of a step: the mode decides what happens
        steps.decided(engine, task)
        return task
    token = next(t for t in engine.tokens if t.task_id == task.task_id)
    node = engine.index.node(task.node_id)
    assert isinstance(node, UserTask)
    try:
        engine.variables.update(engine.mapped(node.outputs, engine.variables))
    except ExpressionError as err:
        engine.incident(token, "expression_error", err.message)
        return task
    if not approved and not rejects.routes_reject(engine, node):
        engine.end_all("rejected")  # no gateway decides what a reject means: the process ends
        return task
    engine.leave_activity(token)
    return task


def already_applied(engine: Engine, signal_key: str) -> bool:
    return any(e.details.get("signal_key") == signal_key for e in engine.state.timeline)


def is_refusal(err: ApplicationError) -> bool:
    return err.type in (
        ErrorType.TASK_NOT_FOUND,
        ErrorType.NOT_ALLOWED,
        ErrorType.NOT_OPEN,
        ErrorType.ILLEGAL_ACTION,
        ErrorType.INSTANCE_CLOSED,
        ErrorType.UNDECLARED_VARIABLES,
        ErrorType.INVALID_INPUT,
    )
