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
    last = next((v for e in reversed(timeline) if (v := _verdict(e)) is not None), None)
    return last or "approved"


def _verdict(entry: TimelineEntry) -> str | None:
    """How a decision went; a called process that approved or rejected counts as one, so an
    approval run by a call activity decides like a step of the caller."""
    if entry.event in DECISION_EVENTS:
        return "rejected" if entry.event in REJECTING else "approved"
    called = entry.details.get("outcome") if entry.event == "call_completed" else None
    return called if called in ("approved", "rejected") else None


def running_status(incidents: Sequence[Incident]) -> InstanceStatus:
    """While tokens remain: ``incident`` as long as any incident is unresolved."""
    return "incident" if any(i.resolved_at is None for i in incidents) else "running"
