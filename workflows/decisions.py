"""Human decisions on user tasks: checking them (validator) and applying them (handler).

Every action of ``DecisionAction`` has a ``_check_<action>`` and an ``_apply_<action>``, chosen by
one ``match`` each, as the node kinds are in ``engine._step``. The update validator does not run
again on replay, so ``apply`` re-checks and never relies on anything the validator did; checks
only read (a refused decision leaves no trace in history, docs/architecture.md §3). Who holds a
task changes only through the task book (``workflows/tasks.py``); a step's approvers only through
``workflows/signers.py``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, assert_never

from temporalio.exceptions import ApplicationError

from shenpi_core.contracts import (
    AI_PRINCIPAL_PREFIX,
    DecisionInput,
    ErrorType,
    TaskView,
    TimelineEvent,
)
from shenpi_core.expressions import ExpressionError
from shenpi_core.process_plan import BoundaryEvent, BoundaryTimer, UserTask
from workflows import rejects, scopes, signers, steps, writes
from workflows.ai import metrics as ai_metrics
from workflows.engine import Engine
from workflows.refusals import refuse
from workflows.tasks import may_act

Details = dict[str, object]


def check(engine: Engine, decision: DecisionInput, *, inputs: bool = True) -> TaskView:
    """Raise the typed ApplicationError of a refused decision; return the task otherwise.

    ``inputs``: also check what the decision carries (variables, ids: ``writes``). The update
    handler skips it: the validator already did, what it depends on cannot change meanwhile, and
    a replayed history must not be refused for what an older build accepted.
    """
    if engine.finished:
        raise refuse(ErrorType.INSTANCE_CLOSED, f"instance is {engine.state.status}")
    task = engine.book.get(decision.task_id)
    if task is not None:
        _check_separation(engine, task, decision)
    if task is None:
        raise refuse(ErrorType.TASK_NOT_FOUND, f"no task {decision.task_id!r}")
    if task.status != "open":
        raise refuse(ErrorType.NOT_OPEN, f"task {task.task_id} is {task.status}")
    match decision.action:
        case "approve" | "reject":
            _check_verdict(task, decision)
        case "resubmit":
            _check_resubmit(task, decision)
        case "claim":
            _check_claim(task, decision)
        case "unclaim":
            _check_unclaim(task, decision)
        case "transfer" | "delegate":
            _check_handover(engine, task, decision)
        case "add_signer":
            _check_add_signer(engine, task, decision)
        case "remove_signer":
            _check_remove_signer(engine, task, decision)
        case "jump":
            _check_jump(engine, decision)
        case _:
            assert_never(decision.action)
    if inputs:
        writes.check_inputs(engine, task, decision)
    return task


def apply(engine: Engine, decision: DecisionInput, signal_key: str | None = None) -> TaskView:
    """Apply a valid decision; the next nodes run on the next ``advance``, not awaited here."""
    # A signal has no validator: its inputs are checked here.
    task = check(engine, decision, inputs=signal_key is not None)
    details: Details = {"signal_key": signal_key} if signal_key else {}
    match decision.action:
        case "approve" | "reject":
            if task.delegated_to is not None:
                _apply_delegate_answer(engine, task, decision, details)
            elif task.kind == "resubmit":  # the initiator gives the request up
                rejects.resubmitted(engine, task, decision, details)
            else:
                apply_to(engine, task, decision, details)
        case "resubmit":
            rejects.resubmitted(engine, task, decision, details)
        case "claim":
            _apply_claim(engine, task, decision, details)
        case "unclaim":
            _apply_unclaim(engine, task, decision, details)
        case "transfer":
            _apply_transfer(engine, task, decision, details)
        case "delegate":
            _apply_delegate(engine, task, decision, details)
        case "add_signer":
            _apply_add_signer(engine, task, decision, details)
        case "remove_signer":
            _apply_remove_signer(engine, task, decision, details)
        case "jump":
            _apply_jump(engine, task, decision, details)
        case _:
            assert_never(decision.action)
    return task


def apply_to(
    engine: Engine, task: TaskView, decision: DecisionInput, details: Mapping[str, object]
) -> TaskView:
    """Approve or reject ``task`` as ``decision`` says, without checking who decides: the
    system's own decisions (a timeout's ``system:timeout``) come through here."""
    approved = decision.action == "approve"
    details = dict(details)
    if decision.variables:
        details["variables"] = _merge(engine, task, decision.variables)
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
        engine.assign(token, engine.mapped(node.outputs, engine.view(token)))
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


# --- checks (read only) ------------------------------------------------------------------------


def _check_separation(engine: Engine, task: TaskView, decision: DecisionInput) -> None:
    """The AI never acts on a task its node reserves for people (separation of duties)."""
    if not decision.actor.startswith(AI_PRINCIPAL_PREFIX):
        return
    node = engine.index.node(task.node_id)
    if isinstance(node, UserTask) and node.human_required:
        raise refuse(
            ErrorType.NOT_ALLOWED,
            f"{decision.actor} may not act on {task.task_id}: people decide it",
        )


def _check_verdict(task: TaskView, decision: DecisionInput) -> None:
    if task.delegated_to is not None:  # the delegate answers for the owner
        _require_approval(task, decision)
    elif task.kind == "resubmit" and decision.action != "reject":  # reject: give the request up
        raise _illegal_on(task, decision)
    _require_actor(task, decision)


def _check_resubmit(task: TaskView, decision: DecisionInput) -> None:
    if task.kind != "resubmit":
        raise _illegal_on(task, decision)
    _require_actor(task, decision)


def _check_claim(task: TaskView, decision: DecisionInput) -> None:
    if task.kind == "resubmit":
        raise _illegal_on(task, decision)
    if task.assignee:
        raise refuse(ErrorType.ILLEGAL_ACTION, f"task {task.task_id} has an assignee")
    if task.claimed_by:
        raise refuse(
            ErrorType.ILLEGAL_ACTION, f"task {task.task_id} is claimed by {task.claimed_by}"
        )
    _require_actor(task, decision)


def _check_unclaim(task: TaskView, decision: DecisionInput) -> None:
    _require_approval(task, decision)
    if task.claimed_by is None:
        raise refuse(ErrorType.ILLEGAL_ACTION, f"task {task.task_id} is not claimed")
    if decision.actor != task.claimed_by and not decision.is_admin:
        raise refuse(ErrorType.NOT_ALLOWED, f"{task.task_id} is claimed by {task.claimed_by}")


def _check_handover(engine: Engine, task: TaskView, decision: DecisionInput) -> None:
    """转办 (an admin may transfer any task) and 委派 (only its holder delegates)."""
    _require_approval(task, decision)
    _require_actor(task, decision, admin_may=decision.action == "transfer")
    to = _one(decision)
    if to.startswith(steps.GROUP):  # a person takes the task over; a group would need a claim
        raise refuse(ErrorType.ILLEGAL_ACTION, f"{decision.action} to a group: {to}")
    if task.delegated_to is not None:
        raise refuse(
            ErrorType.ILLEGAL_ACTION, f"{task.task_id} is delegated to {task.delegated_to}"
        )
    if to in (decision.actor, task.assignee, task.claimed_by):
        raise refuse(ErrorType.ILLEGAL_ACTION, f"{task.task_id} is already {to}'s")
    step = signers.step_of(engine, task)
    if decision.action == "transfer" and step is not None and to in step.approvers:
        raise refuse(ErrorType.ILLEGAL_ACTION, f"{to} is already an approver of this step")


def _check_add_signer(engine: Engine, task: TaskView, decision: DecisionInput) -> None:
    _require_approval(task, decision)
    _require_actor(task, decision, admin_may=True)
    signers.check_add(engine, task, decision)


def _check_remove_signer(engine: Engine, task: TaskView, decision: DecisionInput) -> None:
    _require_approval(task, decision)
    _require_actor(task, decision, admin_may=True)
    signers.check_remove(engine, task, decision)


def _check_jump(engine: Engine, decision: DecisionInput) -> None:
    """An admin moves the instance to any node but a boundary event, from any task."""
    if not decision.is_admin:
        raise refuse(ErrorType.NOT_ALLOWED, "only an admin may jump")
    target = engine.index.nodes.get(_one(decision))
    if target is None or isinstance(target, BoundaryTimer | BoundaryEvent):
        raise refuse(ErrorType.ILLEGAL_ACTION, f"cannot jump to {decision.to!r}")
    if target.parent is not None:  # its scope would not be open: jump to the subprocess
        raise refuse(
            ErrorType.ILLEGAL_ACTION,
            f"cannot jump into subprocess {target.parent!r}; jump to the subprocess itself",
        )


def _require_approval(task: TaskView, decision: DecisionInput) -> None:
    if task.kind != "approval":
        raise _illegal_on(task, decision)


def _require_actor(task: TaskView, decision: DecisionInput, *, admin_may: bool = False) -> None:
    if may_act(task, decision.actor, decision.groups) or (admin_may and decision.is_admin):
        return
    raise refuse(ErrorType.NOT_ALLOWED, f"{decision.actor} may not act on {task.task_id}")


def _illegal_on(task: TaskView, decision: DecisionInput) -> ApplicationError:
    return refuse(ErrorType.ILLEGAL_ACTION, f"{decision.action} on a {task.kind} task")


def _one(decision: DecisionInput) -> str:
    to = decision.to
    if not isinstance(to, str) or not to.strip():
        raise refuse(ErrorType.ILLEGAL_ACTION, f"{decision.action} needs one id in 'to'")
    return to.strip()


# --- applying (after the same checks) ----------------------------------------------------------


def _apply_claim(engine: Engine, task: TaskView, decision: DecisionInput, details: Details) -> None:
    engine.book.claim(task, decision.actor)
    _record(engine, task, decision, "claimed", details)


def _apply_unclaim(
    engine: Engine, task: TaskView, decision: DecisionInput, details: Details
) -> None:
    details = _with_variables(engine, decision, details, task)
    engine.book.claim(task, None)
    _record(engine, task, decision, "unclaimed", details)


def _apply_delegate_answer(
    engine: Engine, task: TaskView, decision: DecisionInput, details: Details
) -> None:
    """The delegate answered: the task goes back to its owner to confirm (委派)."""
    details = _with_variables(
        engine, decision, details, task
    )  # what the task declares (``writes``)
    owner, delegate = task.owner, task.delegated_to
    engine.book.end_delegation(task)
    extra = {"decision": decision.action, "owner": owner or "", "delegate": delegate or ""}
    _record(engine, task, decision, "delegation_resolved", {**details, **extra})


def _apply_transfer(
    engine: Engine, task: TaskView, decision: DecisionInput, details: Details
) -> None:
    details = _with_variables(engine, decision, details, task)
    to = _one(decision)
    previous = task.claimed_by or task.assignee
    signers.replace_approver(engine, task, previous, to)
    engine.book.reassign(task, to)
    _record(engine, task, decision, "transferred", {**details, "from": previous or "", "to": to})


def _apply_delegate(
    engine: Engine, task: TaskView, decision: DecisionInput, details: Details
) -> None:
    details = _with_variables(engine, decision, details, task)
    to = _one(decision)
    owner = task.claimed_by or task.assignee or decision.actor
    engine.book.delegate(task, to, owner)
    _record(engine, task, decision, "delegated", {**details, "owner": owner, "to": to})


def _apply_add_signer(
    engine: Engine, task: TaskView, decision: DecisionInput, details: Details
) -> None:
    details = _with_variables(engine, decision, details, task)
    extra = signers.add(engine, task, decision)
    _record(engine, task, decision, "signers_added", {**details, **extra})
    if not any(t.status == "open" for t in engine.book.of_step(task.step_id or "")):
        steps.decided(engine, task)  # "before" closed the actor's task: open the next one


def _apply_remove_signer(
    engine: Engine, task: TaskView, decision: DecisionInput, details: Details
) -> None:
    details = _with_variables(engine, decision, details, task)
    extra = signers.remove(engine, task, decision)
    _record(engine, task, decision, "signers_removed", {**details, **extra})
    steps.decided(engine, task)  # fewer approvers: the step may pass (or move on) now


def _apply_jump(engine: Engine, task: TaskView, decision: DecisionInput, details: Details) -> None:
    details = _with_variables(engine, decision, details, task)
    to = _one(decision)
    engine.end_all("jumped")
    for incident in engine.state.incidents:  # their tokens are gone with the jump
        if incident.resolved_at is None:
            engine.resolve_incidents(incident.node_id, incident.kind)
    engine.spawn(to)
    scopes.open_listeners(engine, None, None)  # the process's timer starts, ended with the rest
    _record(engine, task, decision, "jumped", {**details, "to": to})


def _with_variables(
    engine: Engine, decision: DecisionInput, details: Details, task: TaskView
) -> Details:
    """Merge what the decision writes (checked against the task's declarations) and say so."""
    if not decision.variables:
        return details
    return {**details, "variables": _merge(engine, task, decision.variables)}


def _merge(engine: Engine, task: TaskView, updates: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Set a decision's variables from its task's place (docs/interpreter.md "Scopes": where a
    scope around the task holds them, else in the process); the changes for the timeline."""
    token = engine.token_of(task)
    if token is None or token.scope is None:
        return writes.merge(engine.variables, updates)
    changes = writes.merge(dict(engine.view(token)), updates)
    engine.assign(token, dict(updates))
    return changes


def _record(
    engine: Engine, task: TaskView, decision: DecisionInput, event: TimelineEvent, details: Details
) -> None:
    engine.record(
        event,
        task.node_id,
        task_id=task.task_id,
        actor=decision.actor,
        comment=decision.comment,
        details=details,
    )
