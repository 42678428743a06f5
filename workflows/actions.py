"""Decision actions other than approve/reject: unclaim, transfer (转办), delegate (委派),
add/remove signer (加签/减签) and the admin's jump; plus the delegate's answer.

``check`` is the validator half (reads only: a refused action leaves no trace in history);
``apply`` re-checks, because two updates validated in one activation must not both apply.
Every action records its actor and comment in the timeline and merges the decision's variables.
"""

from __future__ import annotations

from temporalio.exceptions import ApplicationError

from bpmn_compiler.process_plan import BoundaryTimer, UserTask
from workflows import steps
from workflows.contracts import DecisionInput, ErrorType, TaskView
from workflows.expressions import ExpressionError
from workflows.machine import TokenMachine
from workflows.tasks import may_act
from workflows.tokens import StepState, Token

ACTIONS = frozenset({"unclaim", "transfer", "delegate", "add_signer", "remove_signer", "jump"})
DECIDED = ("approved", "rejected")


def handles(task: TaskView, decision: DecisionInput) -> bool:
    """Whether this module applies ``decision``: one of its actions, or a delegate's answer."""
    return decision.action in ACTIONS or (
        task.delegated_to is not None and decision.action in ("approve", "reject")
    )


def check(machine: TokenMachine, decision: DecisionInput) -> TaskView:
    """Raise the typed ApplicationError of a refused action; return its task otherwise."""
    task = machine.book.get(decision.task_id)
    if task is None:
        raise _refuse(ErrorType.TASK_NOT_FOUND, f"no task {decision.task_id!r}")
    if task.status != "open":
        raise _refuse(ErrorType.NOT_OPEN, f"task {task.task_id} is {task.status}")
    if task.kind != "approval":
        raise _refuse(ErrorType.ILLEGAL_ACTION, f"{decision.action} on a {task.kind} task")
    admin_may = decision.action in ("transfer", "add_signer", "remove_signer", "jump")
    if decision.action == "jump":
        if not decision.is_admin:
            raise _refuse(ErrorType.NOT_ALLOWED, "only an admin may jump")
    elif decision.action == "unclaim":
        if task.claimed_by is None:
            raise _refuse(ErrorType.ILLEGAL_ACTION, f"task {task.task_id} is not claimed")
        if decision.actor != task.claimed_by and not decision.is_admin:
            raise _refuse(ErrorType.NOT_ALLOWED, f"{task.task_id} is claimed by {task.claimed_by}")
    elif not may_act(task, decision.actor, decision.groups) and not (
        admin_may and decision.is_admin
    ):
        raise _refuse(ErrorType.NOT_ALLOWED, f"{decision.actor} may not act on {task.task_id}")
    match decision.action:
        case "transfer" | "delegate":
            _check_handover(machine, task, decision)
        case "add_signer":
            _check_add(machine, task, decision)
        case "remove_signer":
            _check_remove(machine, task, decision)
        case "jump":
            target = machine.index.nodes.get(_one(decision))
            if target is None or isinstance(target, BoundaryTimer):
                raise _refuse(ErrorType.ILLEGAL_ACTION, f"cannot jump to {decision.to!r}")
    return task


def apply(machine: TokenMachine, decision: DecisionInput, details: dict[str, str]) -> TaskView:
    """Apply a valid action (re-checked here). The next nodes run on the next ``advance``."""
    task = check(machine, decision)
    machine.variables.update(decision.variables)
    event, extra = _apply(machine, task, decision)
    machine.record(
        event,
        task.node_id,
        task_id=task.task_id,
        actor=decision.actor,
        comment=decision.comment,
        details={**details, **extra},
    )
    if event == "signers_removed":
        steps.decided(machine, task)  # fewer approvers: the step may pass (or move on) now
    elif event == "signers_added" and not any(
        t.status == "open" for t in machine.book.of_step(task.step_id or "")
    ):
        steps.decided(machine, task)  # "before" closed the actor's task: open the next one
    return task


def _apply(
    machine: TokenMachine, task: TaskView, decision: DecisionInput
) -> tuple[str, dict[str, object]]:
    match decision.action:
        case "approve" | "reject":  # the delegate answered: back to the owner to confirm
            owner, delegate = task.owner, task.delegated_to
            task.assignee, task.delegated_to = owner, None
            return "delegation_resolved", {
                "decision": decision.action,
                "owner": owner or "",
                "delegate": delegate or "",
            }
        case "unclaim":
            task.claimed_by = None
            return "unclaimed", {}
        case "transfer":
            to = _one(decision)
            previous = task.claimed_by or task.assignee
            replace_approver(machine, task, previous, to)
            task.assignee, task.claimed_by, task.owner = to, None, None
            task.candidate_users, task.candidate_groups = [], []
            return "transferred", {"from": previous or "", "to": to}
        case "delegate":
            to = _one(decision)
            task.owner = task.claimed_by or task.assignee or decision.actor
            task.assignee, task.claimed_by, task.delegated_to = to, None, to
            return "delegated", {"owner": task.owner, "to": to}
        case "add_signer":
            return "signers_added", _add_signers(machine, task, decision)
        case "remove_signer":
            return "signers_removed", _remove_signers(machine, task, decision)
        case _:  # jump
            to = _one(decision)
            machine.end_all("jumped")
            machine.spawn(to)
            return "jumped", {"to": to}


# --- checks ---------------------------------------------------------------------------------


def _check_handover(machine: TokenMachine, task: TaskView, decision: DecisionInput) -> None:
    to = _one(decision)
    if task.delegated_to is not None:
        raise _refuse(
            ErrorType.ILLEGAL_ACTION, f"{task.task_id} is delegated to {task.delegated_to}"
        )
    if to in (decision.actor, task.assignee, task.claimed_by):
        raise _refuse(ErrorType.ILLEGAL_ACTION, f"{task.task_id} is already {to}'s")
    step = _step(machine, task)
    if decision.action == "transfer" and step is not None and to in step.approvers:
        raise _refuse(ErrorType.ILLEGAL_ACTION, f"{to} is already an approver of this step")


def _check_add(machine: TokenMachine, task: TaskView, decision: DecisionInput) -> None:
    step = _require_step(machine, task, decision)
    signers = _many(decision)
    present = [s for s in signers if s in step.approvers]
    if present:
        raise _refuse(ErrorType.ILLEGAL_ACTION, f"already approvers of this step: {present}")
    if decision.position == "before" and step.mode not in ("single", "sequential"):
        raise _refuse(ErrorType.ILLEGAL_ACTION, f"position 'before' in a {step.mode} step")


def _check_remove(machine: TokenMachine, task: TaskView, decision: DecisionInput) -> None:
    step = _require_step(machine, task, decision)
    signers = _many(decision)
    tasks = machine.book.of_step(step.step_id)
    not_pending = [s for s in signers if s not in step.approvers or _decided(tasks, s)]
    if not_pending:
        raise _refuse(
            ErrorType.ILLEGAL_ACTION, f"not pending approvers of this step: {not_pending}"
        )
    if decision.actor in signers:
        raise _refuse(ErrorType.ILLEGAL_ACTION, "the acting approver cannot remove themselves")
    if len(step.approvers) - len(signers) < 1:
        raise _refuse(ErrorType.ILLEGAL_ACTION, "a step keeps at least one approver")


# --- add and remove signers --------------------------------------------------------------------


def _add_signers(
    machine: TokenMachine, task: TaskView, decision: DecisionInput
) -> dict[str, object]:
    token, step, node = _step_parts(machine, task)
    signers = _many(decision)
    before = decision.position == "before"
    if step.mode in ("single", "sequential"):
        if step.mode == "single":
            # The one task stands for its actor; the signers queue up around it.
            step.approvers, step.opened = [task.claimed_by or task.assignee or decision.actor], 1
            step.mode = task.mode = "sequential"
        at = step.opened - 1 if before else step.opened
        step.approvers[at:at] = signers
        if before:  # the actor's turn comes again after the signers: a new task then
            machine.book.close(task, "cancelled", "deferred", machine.now())
            step.opened = at
    else:  # all / any / vote: the signers' tasks open now, alongside the others
        step.approvers.extend(signers)
        try:
            for _ in signers:
                steps.open_next(machine, token, node)
        except ExpressionError as err:  # a multi-instance assignee expression failed
            machine.incident(token, "expression_error", err.message)
    return {"to": list(signers), "position": "before" if before else "after", "mode": step.mode}


def _remove_signers(
    machine: TokenMachine, task: TaskView, decision: DecisionInput
) -> dict[str, object]:
    _, step, _ = _step_parts(machine, task)
    signers = _many(decision)
    for signer in signers:
        index = step.approvers.index(signer)
        if index < step.opened:
            step.opened -= 1
        del step.approvers[index]
        for other in machine.book.of_step(step.step_id):
            if other.status == "open" and _belongs(other, signer):
                machine.book.close(other, "cancelled", "removed", machine.now())
    return {"to": list(signers)}


# --- helpers ---------------------------------------------------------------------------------


def _step(machine: TokenMachine, task: TaskView) -> StepState | None:
    token = steps.step_token(machine, task.step_id) if task.step_id else None
    return token.step if token is not None else None


def _require_step(machine: TokenMachine, task: TaskView, decision: DecisionInput) -> StepState:
    step = _step(machine, task)
    if step is None:
        raise _refuse(ErrorType.ILLEGAL_ACTION, f"{decision.action} needs an approval step")
    return step


def _step_parts(machine: TokenMachine, task: TaskView) -> tuple[Token, StepState, UserTask]:
    token = steps.step_token(machine, task.step_id)
    assert token is not None and token.step is not None
    node = machine.index.node(token.node_id)
    assert isinstance(node, UserTask)
    return token, token.step, node


def replace_approver(machine: TokenMachine, task: TaskView, previous: str | None, to: str) -> None:
    """A transfer hands the approver's place in the step to ``to``."""
    step = _step(machine, task)
    if step is None:
        return
    for index, approver in enumerate(step.approvers):
        if approver == previous or _belongs(task, approver):
            step.approvers[index] = to
            return


def _belongs(task: TaskView, approver: str) -> bool:
    """Whether ``task`` is the task of step entry ``approver`` (a user, or "group:<g>")."""
    if approver.startswith(steps.GROUP):
        return task.candidate_groups == [approver[len(steps.GROUP) :]]
    return approver in (task.assignee, task.owner, task.claimed_by)


def _decided(tasks: list[TaskView], approver: str) -> bool:
    return any(t.outcome in DECIDED and _belongs(t, approver) for t in tasks)


def _one(decision: DecisionInput) -> str:
    to = decision.to
    if not isinstance(to, str) or not to.strip():
        raise _refuse(ErrorType.ILLEGAL_ACTION, f"{decision.action} needs one id in 'to'")
    return to.strip()


def _many(decision: DecisionInput) -> list[str]:
    raw = [decision.to] if isinstance(decision.to, str) else list(decision.to or [])
    ids: list[str] = []
    for item in (i.strip() for i in raw):
        if item and item not in ids:
            ids.append(item)
    if not ids:
        raise _refuse(ErrorType.ILLEGAL_ACTION, f"{decision.action} needs user ids in 'to'")
    return ids


def _refuse(error_type: str, message: str) -> ApplicationError:
    return ApplicationError(message, type=error_type, non_retryable=True)
