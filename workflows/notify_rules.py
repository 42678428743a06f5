"""Who hears of what: the starter's default events and the plan's ``<shenpi:notify>`` rules.

The workflow cannot know which channels the worker has, so the starter chooses the default events
(``StartInput.notify_events``: ``task_opened`` goes to each task's approvers, ``outcome`` to the
initiator). ``<shenpi:notify>`` on a user task, an end event or the process adds people on top
(``to``), or turns an event on for the default people (no ``to``). Plain functions over data, so
the ``Notifier`` calls them from the main loop and from handlers alike.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from shenpi_core.contracts import AI_PRINCIPAL_PREFIX, InstanceState, TaskView
from shenpi_core.expressions import ExpressionError
from shenpi_core.process_plan import EndEvent, NotifyRule, ProcessPlan, UserTask
from workflows.tasks import resolve_actors

DEFAULT_EVENTS = ("task_opened", "outcome")
END_REACHED = "end:"  # counter key prefix: how often an end event with notify rules was reached


def recipients(task: TaskView) -> list[str]:
    """Who a task waits on: claimer or assignee, else its candidates ("group:<g>" for groups)."""
    if task.claimed_by:
        return [task.claimed_by]
    if task.assignee:
        return [task.assignee]
    return [*task.candidate_users, *(f"group:{g}" for g in task.candidate_groups)]


class Audience:
    """The people one notification is for, and the ``to`` expressions that failed to evaluate."""

    def __init__(self) -> None:
        self.people: list[str] = []
        self.errors: list[str] = []

    def add(self, people: Iterable[str]) -> None:
        for person in people:
            # The AI principal reads no chat; a person named twice is told once.
            if person and not person.startswith(AI_PRINCIPAL_PREFIX) and person not in self.people:
                self.people.append(person)

    def add_rule(self, rule: NotifyRule, default: Sequence[str], scope: dict[str, Any]) -> None:
        if rule.to is None:
            self.add(default)
            return
        try:
            self.add(resolve_actors(rule.to, scope))
        except ExpressionError as err:
            self.errors.append(f"to={rule.to.source!r}: {err.message}")


class NoticeRules:
    """The default events of one instance and the rules of its plan."""

    def __init__(self, plan: ProcessPlan, defaults: Sequence[str] | None) -> None:
        self._plan = plan
        self._defaults = frozenset(defaults or ())
        self._by_node: dict[str, tuple[NotifyRule, ...]] = {
            n.id: n.notify for n in plan.nodes if isinstance(n, UserTask | EndEvent) and n.notify
        }
        # Off: nothing is computed or sent beyond what the interpreter always sent.
        self.active = bool(self._defaults or plan.notify or self._by_node)

    def _rules(self, node_id: str | None, event: str) -> list[NotifyRule]:
        own = self._by_node.get(node_id, ()) if node_id is not None else ()
        return [r for r in (*self._plan.notify, *own) if event in r.events]

    def task_audience(
        self, event: str, task: TaskView, base: Sequence[str], variables: dict[str, Any]
    ) -> Audience:
        """``base`` (the interpreter's own recipients) and whom the rules add for ``task``."""
        audience = Audience()
        audience.add(base)
        if event in self._defaults:
            audience.add(recipients(task))
        for rule in self._rules(task.node_id, event):
            audience.add_rule(rule, recipients(task), variables)
        return audience

    def handed_over(self, task: TaskView) -> Audience:
        """A task transferred or delegated to someone (or back to its owner) waits on them now:
        they hear of it as if it opened for them, if its approvers hear of opened tasks."""
        audience = Audience()
        rules = self._rules(task.node_id, "task_opened")
        if "task_opened" in self._defaults or any(r.to is None for r in rules):
            audience.add(recipients(task))
        return audience

    def outcome_audience(self, state: InstanceState) -> Audience:
        """Who hears how the instance ended: the initiator by default, and what the rules say."""
        audience = Audience()
        initiator = [state.initiator]
        if "outcome" in self._defaults:
            audience.add(initiator)
        opened = {t.node_id for t in state.tasks}
        reached = {k[len(END_REACHED) :] for k in state.counters if k.startswith(END_REACHED)}
        for rule in self._rules(None, "outcome"):
            audience.add_rule(rule, initiator, state.variables)
        for node_id in self._by_node:
            if node_id in opened or node_id in reached:
                for rule in self._rules_of(node_id, "outcome"):
                    audience.add_rule(rule, initiator, state.variables)
        return audience

    def _rules_of(self, node_id: str, event: str) -> list[NotifyRule]:
        return [r for r in self._by_node.get(node_id, ()) if event in r.events]
