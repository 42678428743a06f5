"""Pass 2: static checks. ``RULES`` is a tuple of ``(model) -> list[Diagnostic]``, run in order.

Every rule runs on every file and all diagnostics are collected (sqlglot's optimizer RULES, then
one raise). Rules skip what another rule already reported, so one mistake gives one diagnostic.
"""

from __future__ import annotations

from collections.abc import Callable

from bpmn_compiler.approvals import check_approvals
from bpmn_compiler.decision_refs import check_decisions
from bpmn_compiler.diagnostics import Diagnostic
from bpmn_compiler.model import BpmnModel
from bpmn_compiler.multi_activities import check_multi_activities
from bpmn_compiler.priority import check_priority
from bpmn_compiler.rules_activities import (
    check_calls,
    check_compensation,
    check_scripts,
    check_standard_loops,
)
from bpmn_compiler.rules_ai import check_ai
from bpmn_compiler.rules_directory import check_directory_calls
from bpmn_compiler.rules_events import check_triggers
from bpmn_compiler.rules_flow import (
    check_boundaries,
    check_conditions,
    check_flows,
    check_gateways,
    check_start,
    check_timers,
)
from bpmn_compiler.rules_graph import check_graph
from bpmn_compiler.rules_limits import check_limits
from bpmn_compiler.rules_notify import check_notify
from bpmn_compiler.rules_tasks import check_tasks
from bpmn_compiler.writable import check_variables

Rule = Callable[[BpmnModel], list[Diagnostic]]

RULES: tuple[Rule, ...] = (
    check_start,
    check_flows,
    check_conditions,
    check_gateways,
    check_timers,
    check_boundaries,
    check_triggers,
    check_calls,
    check_standard_loops,
    check_multi_activities,
    check_compensation,
    check_scripts,
    check_decisions,
    check_tasks,
    check_approvals,
    check_ai,
    check_directory_calls,
    check_notify,
    check_priority,
    check_graph,
    check_variables,
    check_limits,
)


def check(model: BpmnModel) -> list[Diagnostic]:
    """All diagnostics of the model: those found while parsing, then every rule's."""
    found = list(model.diagnostics)
    for rule in RULES:
        found.extend(rule(model))
    return found
