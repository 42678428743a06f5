"""Add and remove signers (加签/减签) on an open approval step, and how a step's approver
entries map to its tasks. The validator half (``check_*``) only reads; ``add``/``remove`` change
the step on its token, and the caller re-evaluates the step afterwards.
"""

from __future__ import annotations

from shenpi_core.contracts import DecisionInput, ErrorType, TaskView
from shenpi_core.expressions import ExpressionError
from shenpi_core.process_plan import UserTask
from workflows import steps
from workflows.machine import TokenMachine
from workflows.refusals import refuse
from workflows.tokens import StepState, Token

DECIDED = ("approved", "rejected")


def check_add(machine: TokenMachine, task: TaskView, decision: DecisionInput) -> None:
    step = _require_step(machine, task, decision)
    signers = _many(decision)
    present = [s for s in signers if s in step.approvers or s == decision.actor]
    if present:
        raise refuse(ErrorType.ILLEGAL_ACTION, f"already approvers of this step: {present}")
    if decision.position == "before" and step.mode not in ("single", "sequential"):
        raise refuse(ErrorType.ILLEGAL_ACTION, f"position 'before' in a {step.mode} step")


def check_remove(machine: TokenMachine, task: TaskView, decision: DecisionInput) -> None:
    step = _require_step(machine, task, decision)
    signers = _many(decision)
    tasks = machine.book.of_step(step.step_id)
    not_pending = [s for s in signers if s not in step.approvers or _decided(tasks, s)]
    if not_pending:
        raise refuse(ErrorType.ILLEGAL_ACTION, f"not pending approvers of this step: {not_pending}")
    if decision.actor in signers:
        raise refuse(ErrorType.ILLEGAL_ACTION, "the acting approver cannot remove themselves")
    if len(step.approvers) - len(signers) < 1:
        raise refuse(ErrorType.ILLEGAL_ACTION, "a step keeps at least one approver")


def add(machine: TokenMachine, task: TaskView, decision: DecisionInput) -> dict[str, object]:
    """加签: parallel modes open the signers' tasks now; sequential ones queue them by position."""
    token, step, node = _step_parts(machine, task)
    signers = _many(decision)
    before = decision.position == "before"
    if step.mode in ("single", "sequential"):
        if step.mode == "single":
            # The one task stands for its actor; the signers queue up around it.
            step.approvers, step.opened = [task.claimed_by or task.assignee or decision.actor], 1
            step.mode = "sequential"
            machine.book.set_mode(task, "sequential")
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


def remove(machine: TokenMachine, task: TaskView, decision: DecisionInput) -> dict[str, object]:
    """减签: pending approvers leave the step; their open tasks close as ``removed``."""
    _, step, _ = _step_parts(machine, task)
    signers = _many(decision)
    for signer in signers:
        index = step.approvers.index(signer)
        if index < step.opened:
            step.opened -= 1
        del step.approvers[index]
        for other in machine.book.of_step(step.step_id):
            if other.status == "open" and belongs(other, signer):
                machine.book.close(other, "cancelled", "removed", machine.now())
    return {"to": list(signers)}


def replace_approver(machine: TokenMachine, task: TaskView, previous: str | None, to: str) -> None:
    """A transfer or an escalation hands the approver's place in the step to ``to``."""
    step = step_of(machine, task)
    if step is None:
        return
    for index, approver in enumerate(step.approvers):
        if approver == previous or belongs(task, approver):
            step.approvers[index] = to
            return


def step_of(machine: TokenMachine, task: TaskView) -> StepState | None:
    token = steps.step_token(machine, task.step_id) if task.step_id else None
    return token.step if token is not None else None


def _require_step(machine: TokenMachine, task: TaskView, decision: DecisionInput) -> StepState:
    step = step_of(machine, task)
    if step is None:
        raise refuse(ErrorType.ILLEGAL_ACTION, f"{decision.action} needs an approval step")
    return step


def _step_parts(machine: TokenMachine, task: TaskView) -> tuple[Token, StepState, UserTask]:
    token = steps.step_token(machine, task.step_id)
    assert token is not None and token.step is not None
    node = machine.index.node(token.node_id)
    assert isinstance(node, UserTask)
    return token, token.step, node


def belongs(task: TaskView, approver: str) -> bool:
    """Whether ``task`` is the task of step entry ``approver`` (a user, or "group:<g>")."""
    if approver.startswith(steps.GROUP):
        return task.candidate_groups == [approver[len(steps.GROUP) :]]
    return approver in (task.assignee, task.owner, task.claimed_by)


def _decided(tasks: list[TaskView], approver: str) -> bool:
    return any(t.outcome in DECIDED and belongs(t, approver) for t in tasks)


def _many(decision: DecisionInput) -> list[str]:
    raw = [decision.to] if isinstance(decision.to, str) else list(decision.to or [])
    ids: list[str] = []
    for item in (i.strip() for i in raw):
        if item and item not in ids:
            ids.append(item)
    if not ids:
        raise refuse(ErrorType.ILLEGAL_ACTION, f"{decision.action} needs user ids in 'to'")
    return ids
