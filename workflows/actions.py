"""Decision actions other than approve/reject: unclaim, transfer (转办), delegate (委派),
add/remove signer (加签/减签) and the admin's jump; plus the delegate's answer.

``check`` is the validator half (reads only: a refused action leaves no trace in history);
``apply`` re-checks, because two updates validated in one activation must not both apply.
Every action records its actor and comment in the timeline; a delegate's answer merges the
variables its task declares (``writes``).
"""

from __future__ import annotations

from bpmn_compiler.process_plan import BoundaryTimer
from workflows import signers, steps, writes
from workflows.contracts import DecisionInput, ErrorType, TaskView
from workflows.machine import TokenMachine
from workflows.tasks import may_act

ACTIONS = frozenset({"unclaim", "transfer", "delegate", "add_signer", "remove_signer", "jump"})


def handles(task: TaskView, decision: DecisionInput) -> bool:
    """Whether this module applies ``decision``: one of its actions, or a delegate's answer."""
    return decision.action in ACTIONS or (
        task.delegated_to is not None and decision.action in ("approve", "reject")
    )


def check(machine: TokenMachine, decision: DecisionInput) -> TaskView:
    """Raise the typed ApplicationError of a refused action; return its task otherwise."""
    task = machine.book.get(decision.task_id)
    if task is None:
        raise signers.refuse(ErrorType.TASK_NOT_FOUND, f"no task {decision.task_id!r}")
    if task.status != "open":
        raise signers.refuse(ErrorType.NOT_OPEN, f"task {task.task_id} is {task.status}")
    if task.kind != "approval" and decision.action != "jump":  # an admin may jump from anywhere
        raise signers.refuse(ErrorType.ILLEGAL_ACTION, f"{decision.action} on a {task.kind} task")
    admin_may = decision.action in ("transfer", "add_signer", "remove_signer", "jump")
    if decision.action == "jump":
        if not decision.is_admin:
            raise signers.refuse(ErrorType.NOT_ALLOWED, "only an admin may jump")
    elif decision.action == "unclaim":
        if task.claimed_by is None:
            raise signers.refuse(ErrorType.ILLEGAL_ACTION, f"task {task.task_id} is not claimed")
        if decision.actor != task.claimed_by and not decision.is_admin:
            raise signers.refuse(
                ErrorType.NOT_ALLOWED, f"{task.task_id} is claimed by {task.claimed_by}"
            )
    elif not may_act(task, decision.actor, decision.groups) and not (
        admin_may and decision.is_admin
    ):
        raise signers.refuse(
            ErrorType.NOT_ALLOWED, f"{decision.actor} may not act on {task.task_id}"
        )
    match decision.action:
        case "transfer" | "delegate":
            _check_handover(machine, task, decision)
        case "add_signer":
            signers.check_add(machine, task, decision)
        case "remove_signer":
            signers.check_remove(machine, task, decision)
        case "jump":
            target = machine.index.nodes.get(_one(decision))
            if target is None or isinstance(target, BoundaryTimer):
                raise signers.refuse(ErrorType.ILLEGAL_ACTION, f"cannot jump to {decision.to!r}")
    return task


def apply(machine: TokenMachine, decision: DecisionInput, details: dict[str, object]) -> TaskView:
    """Apply a valid action (re-checked here). The next nodes run on the next ``advance``."""
    task = check(machine, decision)
    if decision.variables:  # a delegate's answer writes what the task declares
        details = {**details, "variables": writes.merge(machine.variables, decision.variables)}
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
            return "signers_added", signers.add(machine, task, decision)
        case "remove_signer":
            return "signers_removed", signers.remove(machine, task, decision)
        case _:  # jump
            to = _one(decision)
            machine.end_all("jumped")
            for incident in machine.state.incidents:  # their tokens are gone with the jump
                if incident.resolved_at is None:
                    machine.resolve_incidents(incident.node_id, incident.kind)
            machine.spawn(to)
            return "jumped", {"to": to}


# --- checks ---------------------------------------------------------------------------------


def _check_handover(machine: TokenMachine, task: TaskView, decision: DecisionInput) -> None:
    to = _one(decision)
    if to.startswith(steps.GROUP):  # a person takes the task over; a group would need a claim
        raise signers.refuse(ErrorType.ILLEGAL_ACTION, f"{decision.action} to a group: {to}")
    if task.delegated_to is not None:
        raise signers.refuse(
            ErrorType.ILLEGAL_ACTION, f"{task.task_id} is delegated to {task.delegated_to}"
        )
    if to in (decision.actor, task.assignee, task.claimed_by):
        raise signers.refuse(ErrorType.ILLEGAL_ACTION, f"{task.task_id} is already {to}'s")
    step = signers.step_of(machine, task)
    if decision.action == "transfer" and step is not None and to in step.approvers:
        raise signers.refuse(ErrorType.ILLEGAL_ACTION, f"{to} is already an approver of this step")


# --- helpers ---------------------------------------------------------------------------------


def replace_approver(machine: TokenMachine, task: TaskView, previous: str | None, to: str) -> None:
    """A transfer hands the approver's place in the step to ``to``."""
    step = signers.step_of(machine, task)
    if step is None:
        return
    for index, approver in enumerate(step.approvers):
        if approver == previous or signers.belongs(task, approver):
            step.approvers[index] = to
            return


def _one(decision: DecisionInput) -> str:
    to = decision.to
    if not isinstance(to, str) or not to.strip():
        raise signers.refuse(ErrorType.ILLEGAL_ACTION, f"{decision.action} needs one id in 'to'")
    return to.strip()
