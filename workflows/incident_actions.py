"""An admin's answer to an incident: ``retry`` runs its node again, ``resolve`` closes one whose
cause is gone (docs/interpreter.md "Incidents").

``check`` is the update validator (reads only: a refusal leaves no trace in history); ``apply``
re-checks, because two updates validated in one activation must not both apply. A retry puts the
tokens parked at the node back to ``enter``: the next ``advance`` runs the node from its start
(a service task schedules its activity again, a gateway evaluates its conditions again).
"""

from __future__ import annotations

from shenpi_core.contracts import ErrorType, Incident, IncidentActionInput
from workflows import ops_metrics
from workflows.machine import TokenMachine
from workflows.outcome import running_status
from workflows.refusals import refuse
from workflows.tokens import Token


def incident_of(machine: TokenMachine, incident_id: str) -> Incident | None:
    """Incidents are numbered by position from 1 (older states carry no id)."""
    if not incident_id.isdigit() or not 1 <= int(incident_id) <= len(machine.state.incidents):
        return None
    return machine.state.incidents[int(incident_id) - 1]


def check(machine: TokenMachine, action: IncidentActionInput) -> Incident:
    if machine.finished:
        raise refuse(ErrorType.INSTANCE_CLOSED, f"instance is {machine.state.status}")
    if not action.is_admin:
        raise refuse(ErrorType.NOT_ALLOWED, "only an admin may retry or resolve an incident")
    incident = incident_of(machine, action.incident_id)
    if incident is None:
        raise refuse(ErrorType.INCIDENT_NOT_FOUND, f"no incident {action.incident_id!r}")
    if incident.resolved_at is not None:
        raise refuse(ErrorType.INCIDENT_RESOLVED, f"incident {action.incident_id} is resolved")
    parked = _parked(machine, incident)
    if action.action == "retry" and not parked:
        raise refuse(
            ErrorType.ILLEGAL_ACTION,
            f"nothing waits at {incident.node_id} to run again; resolve the incident instead",
        )
    if action.action == "resolve" and parked:
        raise refuse(
            ErrorType.ILLEGAL_ACTION,
            f"the instance still waits at {incident.node_id}; retry the incident instead",
        )
    return incident


def apply(machine: TokenMachine, action: IncidentActionInput) -> Incident:
    incident = check(machine, action)
    if action.action == "retry":
        for token in _parked(machine, incident):
            machine.reenter(token)
    # Every open incident of the node closes: a retry starts the node afresh.
    for other in machine.state.incidents:
        if other.node_id == incident.node_id and other.resolved_at is None:
            other.resolved_at = machine.now()
            how = "retried" if action.action == "retry" else "resolved"
            ops_metrics.count(
                machine, ops_metrics.INCIDENTS_RESOLVED, other.node_id, kind=other.kind, how=how
            )
    machine.state.status = running_status(machine.state.incidents)
    machine.record(
        "incident_retried" if action.action == "retry" else "incident_resolved",
        incident.node_id,
        actor=action.actor,
        comment=action.comment,
        details={"incident_id": action.incident_id, "kind": incident.kind},
    )
    return incident


def _parked(machine: TokenMachine, incident: Incident) -> list[Token]:
    return [t for t in machine.tokens if t.node_id == incident.node_id and t.state == "incident"]
