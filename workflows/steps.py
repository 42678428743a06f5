"""Approval steps: a user task with ``approval`` opens one task per approver and passes or is
rejected by its mode's rule (``ApprovalSpec``: single, sequential, all 会签, any 或签, vote 票签,
and BPMN multi-instance with a completion condition).

The step lives on its token (``Token.step``), so it survives continue-as-new with the token; its
tasks share ``step_id`` in the task book. Approvers come from an expression evaluated here, or, when
the expression calls the directory, from the ``shenpi-directory`` activity (the token waits in
phase ``resolving`` meanwhile). Everything here is synchronous over data, like the engine.
"""

from __future__ import annotations

from typing import Any, Literal, assert_never

from shenpi_core.contracts import AiAdvice, DirectoryResolveInput, TaskView
from shenpi_core.expressions import ExpressionError, evaluate, evaluate_bool, uses_directory
from shenpi_core.process_plan import ApprovalSpec, UserTask
from workflows import rejects, skips
from workflows.approvers import GROUP as GROUP  # re-exported: actions.py reads steps.GROUP
from workflows.approvers import approvers_problem, assignee_for, resolve, unique
from workflows.machine import TokenMachine
from workflows.tokens import StepState, Token

Verdict = Literal["approved", "rejected"]
DIRECTORY_APPROVERS = "directory:approvers"  # wait key: the approvers expression
DIRECTORY_MANAGER = "directory:manager"  # wait key: the initiator's manager (if_initiator)


def spec_of(node: UserTask) -> ApprovalSpec:
    assert node.approval is not None, f"{node.id} is not an approval step"
    return node.approval


def enter(machine: TokenMachine, token: Token, node: UserTask, ai: AiAdvice | None = None) -> None:
    """Start a step on ``node``: resolve its approvers (here or in the directory activity).

    ``ai``: the AI's advice, shown on every task the step opens.
    """
    spec = spec_of(node)
    step = StepState(step_id=next_step_id(machine, node), mode=spec.mode, ai=ai)
    machine.wait(token, step=step)
    if spec.approvers is not None and uses_directory(spec.approvers.ast):
        step.phase = "resolving"
        arg = DirectoryResolveInput(ast=spec.approvers.ast, variables=dict(machine.view(token)))
        machine.waits.start_directory(token.id, DIRECTORY_APPROVERS, arg)
        return
    resolved(machine, token, DIRECTORY_APPROVERS, resolve(node, machine.view(token)))


def next_step_id(machine: TokenMachine, node: UserTask) -> str:
    key = f"step:{node.id}"
    machine.state.counters[key] = machine.state.counters.get(key, 0) + 1
    return f"{node.id}#{machine.state.counters[key]}"


def resolved(machine: TokenMachine, token: Token, key: str, values: list[str]) -> None:
    """The approvers are known (or the initiator's manager, for ``if_initiator="manager"``)."""
    assert token.step is not None
    node = machine.index.node(token.node_id)
    assert isinstance(node, UserTask)
    step = token.step
    if key == DIRECTORY_MANAGER:  # the initiator's place goes to their manager
        initiator = machine.state.initiator
        routed = [v for a in step.approvers for v in (values if a == initiator else [a])]
        step.approvers = unique(routed)
    else:
        step.approvers = unique(values)
        if skips.route_initiator(spec_of(node), step.approvers, machine.state.initiator):
            step.phase = "resolving"
            arg = skips.manager_lookup(machine.state.initiator)
            machine.waits.start_directory(token.id, DIRECTORY_MANAGER, arg)
            return
    step.phase = "open"
    _open(machine, token, node)


def _open(machine: TokenMachine, token: Token, node: UserTask) -> None:
    assert token.step is not None
    step, spec = token.step, spec_of(node)
    if not step.approvers:
        machine.incident(token, "no_approvers", f"no approvers for {node.id}")
        return
    if (problem := approvers_problem(step.approvers)) is not None:
        machine.incident(token, "invalid_approvers", problem)
        return
    active, skipped = skips.split(machine, spec, step.approvers)
    step.approvers = active
    machine.record(
        "step_opened",
        node.id,
        details={"step_id": step.step_id, "mode": step.mode, "approvers": list(active)},
    )
    for approver, reason in skipped:
        skips.record_skip(machine, node, step, approver, reason)
    if not active:  # everyone was skipped: nothing to decide
        _finish(machine, token, node, "approved")
        return
    if step.mode == "single":
        _open_single(machine, token, node)
        return
    count = 1 if step.mode == "sequential" else len(active)
    for _ in range(count):
        open_next(machine, token, node)


def _open_single(machine: TokenMachine, token: Token, node: UserTask) -> None:
    """One task: one user is its assignee; several users and groups are its candidates."""
    assert token.step is not None
    step = token.step
    users = [a for a in step.approvers if not a.startswith(GROUP)]
    groups = [a[len(GROUP) :] for a in step.approvers if a.startswith(GROUP)]
    fields: dict[str, Any] = (
        {"assignee": users[0]}
        if len(users) == 1 and not groups
        else {"candidate_users": users, "candidate_groups": groups}
    )
    step.opened = len(step.approvers)
    _add(machine, token, node, fields)


def open_next(machine: TokenMachine, token: Token, node: UserTask) -> TaskView | None:
    """Open the task of the next approver without one (all of them, one call each)."""
    assert token.step is not None
    step = token.step
    if step.opened >= len(step.approvers):
        return None
    approver = step.approvers[step.opened]
    step.opened += 1
    if approver.startswith(GROUP):
        return _add(machine, token, node, {"candidate_groups": [approver[len(GROUP) :]]})
    assignee = assignee_for(node, approver, machine.view(token))
    return _add(machine, token, node, {"assignee": assignee})


def _add(machine: TokenMachine, token: Token, node: UserTask, fields: dict[str, Any]) -> TaskView:
    assert token.step is not None
    task = machine.book.add(
        node,
        machine.now(),
        interrupting_due(machine, token),
        step_id=token.step.step_id,
        mode=token.step.mode,
        ai=token.step.ai,
        **fields,
    )
    machine.record(
        "task_opened",
        node.id,
        task_id=task.task_id,
        details={"ref": task.ref, "step_id": token.step.step_id},
    )
    return task


def decided(machine: TokenMachine, task: TaskView) -> None:
    """A task of a step was approved or rejected: pass, reject or continue the step."""
    token = step_token(machine, task.step_id)
    if token is None or token.step is None:
        return
    node = machine.index.node(token.node_id)
    assert isinstance(node, UserTask)
    tasks = machine.book.of_step(token.step.step_id)
    try:
        result = verdict(spec_of(node), token.step, tasks, machine.view(token))
    except ExpressionError as err:
        machine.incident(token, "expression_error", err.message)
        return
    if result is not None:
        _finish(machine, token, node, result)
    elif not any(t.status == "open" for t in tasks):
        open_next(machine, token, node)  # sequential: the next approver's turn


def verdict(
    spec: ApprovalSpec, step: StepState, tasks: list[TaskView], variables: dict[str, Any]
) -> Verdict | None:
    """The mode's rule over the decided tasks; then the multi-instance completion condition."""
    total = len(step.approvers)
    approved = sum(1 for t in tasks if t.outcome == "approved")
    rejected = sum(1 for t in tasks if t.outcome == "rejected")
    pending = total - approved - rejected
    first_reject = spec.reject_rule == "first_reject"
    result: Verdict | None = None
    match step.mode:
        case "single":
            result = "approved" if approved else "rejected" if rejected else None
        case "sequential" | "all":
            if rejected and (first_reject or step.mode == "sequential" or pending == 0):
                result = "rejected"
            elif approved >= total:
                result = "approved"
        case "any":
            if approved:
                result = "approved"
            elif rejected and (first_reject or rejected >= total):
                result = "rejected"
        case "vote":
            if approved >= spec.pass_ratio * total:
                result = "approved"
            elif approved + pending < spec.pass_ratio * total:
                result = "rejected"  # can no longer reach the ratio
        case _:
            assert_never(step.mode)
    if result is None and spec.completion_condition is not None:
        scope = {
            **variables,
            "nrOfInstances": total,
            "nrOfCompletedInstances": approved + rejected,
            "nrOfActiveInstances": sum(1 for t in tasks if t.status == "open"),
            "nrOfApproved": approved,
            "nrOfRejected": rejected,
        }
        if evaluate_bool(spec.completion_condition.ast, scope):
            result = "rejected" if rejected else "approved"
    return result


def _finish(machine: TokenMachine, token: Token, node: UserTask, result: Verdict) -> None:
    """Close the step: the other open tasks close as ``closed``; the token passes or rejects."""
    assert token.step is not None
    step = token.step
    for other in machine.book.of_step(step.step_id):
        if other.status == "open":
            machine.book.close(other, "cancelled", "closed", machine.now())
            machine.record("task_closed", node.id, task_id=other.task_id)
    machine.variables["approved"] = result == "approved"
    machine.record(
        "step_passed" if result == "approved" else "step_rejected",
        node.id,
        details={"step_id": step.step_id, "mode": step.mode},
    )
    try:
        scope = machine.view(token)
        machine.assign(token, {m.target: evaluate(m.source.ast, scope) for m in node.outputs})
    except ExpressionError as err:
        machine.incident(token, "expression_error", err.message)
        return
    if result == "approved":
        machine.leave_activity(token)
    else:
        rejects.reject(machine, token, node)


def step_token(machine: TokenMachine, step_id: str | None) -> Token | None:
    return next((t for t in machine.tokens if t.step and t.step.step_id == step_id), None)


def interrupting_due(machine: TokenMachine, token: Token) -> Any:
    """A task is due when the first interrupting boundary timer of its activity fires."""
    index = machine.index
    due = [w.due_at for b, w in token.boundaries.items() if index.interrupts(index.boundary(b))]
    return min(due) if due else None
