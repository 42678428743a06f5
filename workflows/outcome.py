"""The process outcome (docs/architecture.md §4) and the instance status from open incidents."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from shenpi_core.contracts import Incident, InstanceStatus, TimelineEntry

# A step's verdict counts as its last decision (会签 after_all: the last task may be an approve).
DECISION_EVENTS = ("approved", "rejected", "step_passed", "step_rejected")
REJECTING = ("rejected", "step_rejected")


def outcome_of(variables: Mapping[str, Any], timeline: Sequence[TimelineEntry]) -> str:
    """The variable ``outcome`` if the process set one; else how the last human decision went."""
    explicit = variables.get("outcome")
    if isinstance(explicit, str) and explicit:
        return explicit
    last = next((e.event for e in reversed(timeline) if e.event in DECISION_EVENTS), None)
    return "rejected" if last in REJECTING else "approved"


def running_status(incidents: Sequence[Incident]) -> InstanceStatus:
    """While tokens remain: ``incident`` as long as any incident is unresolved."""
    return "incident" if any(i.resolved_at is None for i in incidents) else "running"
