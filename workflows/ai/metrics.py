"""AI outcomes and fallbacks counted from the workflow, per process and node.

Counted where they are decided, like ``shenpi_instances_completed``: the SDK's meter skips
replays, so each review counts once.
"""

from __future__ import annotations

from temporalio import workflow

from workflows.machine import TokenMachine

OUTCOMES = "shenpi_ai_outcomes"  # auto_approved, auto_rejected, handed_over, shadowed, routed
FALLBACKS = "shenpi_ai_fallbacks"  # failed, below_threshold, abstained, unknown_flow
# A person's decision on a task the AI reviewed (advise, shadow, or handed over), by whether the
# AI's answer was the same: the agreement rate per node is agreed="true" over both.
AGREEMENT = "shenpi_ai_agreement"
_DECISIONS = ("approve", "reject")


def outcome(machine: TokenMachine, node_id: str, outcome: str) -> None:
    workflow.metric_meter().create_counter(
        OUTCOMES, "AI reviews by what they led to, per process and node"
    ).add(1, {"process_id": machine.index.plan.process_id, "node_id": node_id, "outcome": outcome})


def fallback(machine: TokenMachine, node_id: str, reason: str) -> None:
    workflow.metric_meter().create_counter(
        FALLBACKS, "AI steps that fell back, per process, node and reason"
    ).add(1, {"process_id": machine.index.plan.process_id, "node_id": node_id, "reason": reason})


def agreement(machine: TokenMachine, node_id: str, action: str) -> None:
    """Count a person's ``action`` on ``node_id`` against the AI's last answer there, if it
    answered approve or reject (an abstention agrees with nobody)."""
    reviewed = next(
        (
            e
            for e in reversed(machine.state.timeline)
            if e.node_id == node_id and e.event == "ai_reviewed"
        ),
        None,
    )
    answer = reviewed.details.get("decision") if reviewed is not None else None
    if answer not in _DECISIONS or action not in _DECISIONS:
        return
    labels = {
        "process_id": machine.index.plan.process_id,
        "node_id": node_id,
        "agreed": "true" if answer == action else "false",
    }
    workflow.metric_meter().create_counter(
        AGREEMENT, "People's decisions on AI-reviewed tasks, by agreement with the AI"
    ).add(1, labels)
