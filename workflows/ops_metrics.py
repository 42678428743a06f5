"""What operators alert on, counted from the workflow where it happens, per process and node:
incidents opened and resolved, reminders sent, escalations, SLA breaches (a due time passed).

The SDK's workflow meter skips replays, so each event counts once however often a history is
replayed; the worker exports the counters with ``_total`` (docs/observability.md).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from temporalio import workflow

if TYPE_CHECKING:  # the machine counts through this module
    from workflows.machine import TokenMachine

INCIDENTS_OPENED = "shenpi_incidents_opened"  # by kind (activity_failed, expression_error, ...)
INCIDENTS_RESOLVED = "shenpi_incidents_resolved"  # by how: retried, resolved, automatically
REMINDERS_SENT = "shenpi_reminders_sent"
ESCALATIONS = "shenpi_escalations"  # by outcome: escalated, failed (no one to escalate to)
SLA_BREACHES = "shenpi_sla_breaches"  # by on_timeout: approve, reject, escalate, none

_HELP = {
    INCIDENTS_OPENED: "Incidents opened, per process, node and kind",
    INCIDENTS_RESOLVED: "Incidents closed, per process, node, kind and how",
    REMINDERS_SENT: "Reminders sent on open tasks, per process and node",
    ESCALATIONS: "Escalations of overdue tasks, per process, node and outcome",
    SLA_BREACHES: "Tasks still open at their due time, per process, node and timeout action",
}


def count(machine: TokenMachine, name: str, node_id: str, **labels: str) -> None:
    workflow.metric_meter().create_counter(name, _HELP[name]).add(
        1, {"process_id": machine.index.plan.process_id, "node_id": node_id, **labels}
    )
