"""Reject strategies (``ApprovalSpec.reject_to``) and the initiator's resubmission.

``end`` ends the instance rejected (a plain task keeps its rule: a following gateway or condition
routes the reject instead); ``previous`` re-enters the user task this instance completed last;
``initiator`` opens a ``resubmit`` task for the initiator, whose ``resubmit`` merges the edited
variables and continues at the rejecting node or the start (``resubmit_to``); any other value is a
node id the token moves to.
"""

from __future__ import annotations

from shenpi_core.contracts import DecisionInput, TaskView
from shenpi_core.process_plan import CallActivity, ExclusiveGateway, InclusiveGateway, UserTask
from workflows import writes
from workflows.machine import TokenMachine
from workflows.tokens import Token


def reject(machine: TokenMachine, token: Token, node: UserTask) -> None:
    """The step on ``node`` was rejected: send its token where ``reject_to`` says."""
    target = node.approval.reject_to if node.approval is not None else "end"
    if target == "end":
        if routes_reject(machine, node):
            machine.leave_activity(token)
        else:
            machine.end_all("rejected")
        return
    if target == "previous":
        previous = previous_task_node(machine, node)
        if previous is None:
            to_initiator(machine, token, node)
        else:
            move(machine, token, previous)
        return
    if target == "initiator":
        to_initiator(machine, token, node)
        return
    if target not in machine.index.nodes:
        machine.incident(token, "bad_reject_target", f"reject_to {target!r} is not a node")
        return
    move(machine, token, target)


def routes_reject(machine: TokenMachine, node: UserTask | CallActivity) -> bool:
    """The model decides what a reject means when the task leads into a gateway or a condition,
    or loops (its loop condition decides)."""
    if node.loop is not None:
        return True
    for flow in machine.index.outgoing(node):
        if flow.condition is not None:
            return True
        target = machine.index.node(flow.target)
        if isinstance(target, ExclusiveGateway):
            return True
        # An inclusive split whose conditions decide routes it; a join (no conditions) does not.
        if isinstance(target, InclusiveGateway) and any(
            f.condition is not None for f in machine.index.outgoing(target)
        ):
            return True
    return False


def previous_task_node(machine: TokenMachine, node: UserTask) -> str | None:
    """The user task (other than ``node``, in its scope) whose task this instance completed
    last."""
    for task in reversed(machine.book.tasks):
        if (
            task.node_id != node.id
            and task.kind == "approval"
            and task.status == "completed"
            and machine.index.node(task.node_id).parent == node.parent
        ):
            return task.node_id
    return None


def move(machine: TokenMachine, token: Token, node_id: str) -> None:
    """End the token's waits and send it into ``node_id``, which runs afresh."""
    machine.leave_activity(token)
    machine.record("sent_back", token.node_id, details={"to": node_id})
    machine.go_to(token, node_id)


def to_initiator(machine: TokenMachine, token: Token, node: UserTask) -> None:
    """Open the initiator's resubmit task on the rejecting node; the token waits on it."""
    machine.leave_activity(token)
    task = machine.book.add(
        node, machine.now(), None, assignee=machine.state.initiator, kind="resubmit"
    )
    machine.wait(token, task_id=task.task_id)
    machine.record(
        "task_opened", node.id, task_id=task.task_id, details={"ref": task.ref, "kind": "resubmit"}
    )


def resubmitted(
    machine: TokenMachine, task: TaskView, decision: DecisionInput, details: dict[str, object]
) -> None:
    """The initiator resubmitted (edited variables merged) or gave up (``reject``: rejected)."""
    token = next(t for t in machine.tokens if t.task_id == task.task_id)
    if decision.variables:
        details = {**details, "variables": writes.merge(machine.variables, decision.variables)}
    gave_up = decision.action == "reject"
    machine.book.close(task, "completed", "rejected" if gave_up else "resubmitted", machine.now())
    machine.record(
        "rejected" if gave_up else "resubmitted",
        task.node_id,
        task_id=task.task_id,
        actor=decision.actor,
        comment=decision.comment,
        details=details,
    )
    if gave_up:
        machine.end_all("rejected")
        return
    node = machine.index.node(task.node_id)
    to_start = isinstance(node, UserTask) and (
        node.approval is not None and node.approval.resubmit_to == "start"
    )
    machine.leave_activity(token)
    if to_start:  # the start of its scope: the process's, or its subprocess's
        machine.go_to(token, machine.scope_start(token), state="leave")
    else:
        machine.go_to(token, task.node_id)
