"""Auto-skip (``if_initiator``, ``if_already_approved``): approvers a step does not ask.

A skipped approver gets a task recorded ``skipped`` (never ``approved``), so the audit trail shows
why nobody decided, and leaves the step's approver list: the mode's rule counts the others only.
``if_initiator="manager"`` instead puts the initiator's manager (a directory lookup) in their place.
"""

from __future__ import annotations

from shenpi_core.contracts import DirectoryResolveInput
from shenpi_core.process_plan import ApprovalSpec, UserTask
from workflows.machine import TokenMachine
from workflows.tokens import StepState

SKIP_ACTOR = "system:auto-skip"


def route_initiator(spec: ApprovalSpec, approvers: list[str], initiator: str) -> bool:
    """The initiator is among the approvers and the step sends their turn to their manager."""
    return spec.if_initiator == "manager" and initiator in approvers


def manager_lookup(user: str) -> DirectoryResolveInput:
    return DirectoryResolveInput(ast={"call": "manager", "args": [{"lit": user}]})


def split(
    machine: TokenMachine, spec: ApprovalSpec, approvers: list[str]
) -> tuple[list[str], list[tuple[str, str]]]:
    """The approvers who are asked, and those skipped with the reason."""
    active: list[str] = []
    skipped: list[tuple[str, str]] = []
    for approver in approvers:
        if spec.if_initiator == "skip" and approver == machine.state.initiator:
            skipped.append((approver, "initiator"))
        elif spec.if_already_approved == "skip" and _approved_before(machine, approver):
            skipped.append((approver, "already_approved"))
        else:
            active.append(approver)
    return active, skipped


def record_skip(
    machine: TokenMachine, node: UserTask, step: StepState, approver: str, reason: str
) -> None:
    now = machine.now()
    task = machine.book.add(
        node,
        now,
        None,
        assignee=approver,
        step_id=step.step_id,
        mode=step.mode,
        status="skipped",
        outcome="skipped",
        completed_at=now,
    )
    # The system skips, the approver does nothing: an approver as actor would read as if they had
    # acted (and block the initiator's withdraw).
    machine.record(
        "skipped",
        node.id,
        task_id=task.task_id,
        actor=SKIP_ACTOR,
        details={"approver": approver, "reason": reason},
    )


def _approved_before(machine: TokenMachine, user: str) -> bool:
    return any(
        t.outcome == "approved" and user in (t.assignee, t.claimed_by) for t in machine.book.tasks
    )
