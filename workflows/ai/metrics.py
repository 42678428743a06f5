"""AI outcomes and fallbacks counted from the workflow, per process and node.

Counted where they are decided, like ``shenpi_instances_completed``: the SDK's meter skips
replays, so each review counts once.
"""

from __future__ import annotations

from temporalio import workflow

from workflows.machine import TokenMachine

OUTCOMES = "shenpi_ai_outcomes"  # auto_approved, auto_rejected, handed_over, routed
FALLBACKS = "shenpi_ai_fallbacks"  # failed, below_threshold, abstained, unknown_flow


def outcome(machine: TokenMachine, node_id: str, outcome: str) -> None:
    workflow.metric_meter().create_counter(
        OUTCOMES, "AI reviews by what they led to, per process and node"
    ).add(1, {"process_id": machine.index.plan.process_id, "node_id": node_id, "outcome": outcome})


def fallback(machine: TokenMachine, node_id: str, reason: str) -> None:
    workflow.metric_meter().create_counter(
        FALLBACKS, "AI steps that fell back, per process, node and reason"
    ).add(1, {"process_id": machine.index.plan.process_id, "node_id": node_id, "reason": reason})
