"""``<shenpi:notify on="..." to="..."/>``: where it may sit, which events it names, whom it adds.

``compile_notify`` serves both the check rule (its diagnostics) and the plan (its rules), so what
is reported and what is built never disagree, as ``approvals.compile_approval`` does for approvals.
"""

from __future__ import annotations

from typing import Literal, cast, get_args

from bpmn_compiler.diagnostics import Diagnostic
from bpmn_compiler.expressions import ExpressionSyntaxError, compile_value
from bpmn_compiler.model import BpmnModel, FlowNode, RawNotify, RawText
from shenpi_core.expressions import uses_directory
from shenpi_core.process_plan import Expression, NotifyEvent, NotifyRule

Place = Literal["user_task", "end", "process"]
EVENTS: tuple[str, ...] = get_args(NotifyEvent)
# What each place can hear of: an end event only knows how the instance ended.
ALLOWED: dict[Place, tuple[str, ...]] = {
    "user_task": EVENTS,
    "process": EVENTS,
    "end": ("outcome",),
}
ATTRIBUTES = ("on", "to")
_WHERE = "user tasks, end events and the process"


class _Reader:
    """Reads the notify elements of one place, collecting diagnostics instead of stopping."""

    def __init__(self, place: Place, element_id: str, line: int | None) -> None:
        self.place, self.element_id, self.line = place, element_id, line
        self.found: list[Diagnostic] = []

    def problem(self, code: str, message: str, line: int | None) -> None:
        self.found.append(
            Diagnostic(
                code=code, message=message, element_id=self.element_id, line=line or self.line
            )
        )

    def rule(self, raw: RawNotify) -> NotifyRule | None:
        for name, value in raw.attributes.items():
            if name not in ATTRIBUTES:
                self.problem(
                    "notify-attribute",
                    f"unknown attribute {name!r} of shenpi:notify (known: on, to)",
                    value.line,
                )
        on = raw.attributes.get("on")
        if on is None or not on.text.strip(","):
            self.problem(
                "notify-attribute",
                f'shenpi:notify needs on="..." (events: {", ".join(EVENTS)})',
                raw.line,
            )
            return None
        events = self.events(on)
        to = self.to(raw.attributes["to"]) if "to" in raw.attributes else None
        if events is None or to is False:
            return None
        return NotifyRule(events=events, to=to or None)

    def events(self, raw: RawText) -> tuple[NotifyEvent, ...] | None:
        names: list[str] = []
        ok = True
        for name in (n.strip() for n in raw.text.split(",")):
            if not name or name in names:
                continue
            if name not in EVENTS:
                self.problem(
                    "notify-event",
                    f"unknown notification event {name!r} (known: {', '.join(EVENTS)})",
                    raw.line,
                )
                ok = False
            elif name not in ALLOWED[self.place]:
                allowed = ", ".join(ALLOWED[self.place])
                self.problem(
                    "notify-event",
                    f"{name!r} is not sent for an end event (only {allowed})",
                    raw.line,
                )
                ok = False
            else:
                names.append(name)
        return tuple(cast(NotifyEvent, n) for n in names) if ok and names else None

    def to(self, raw: RawText) -> Expression | Literal[False]:
        if not raw.text:
            self.problem(
                "notify-attribute", "to is empty (leave it out for the defaults)", raw.line
            )
            return False
        try:
            expression = compile_value(raw, as_list=True)
        except ExpressionSyntaxError as err:
            self.problem("expression-syntax", f"to: {err.message}", raw.line)
            return False
        if uses_directory(expression.ast):
            # A notification is no place for an I/O lookup in the workflow; groups are expanded
            # by the notify activity itself.
            self.problem(
                "directory-call",
                "to: directory functions are not looked up for notifications; name users or"
                " group:<g> (the notify activity expands groups)",
                raw.line,
            )
            return False
        return expression


def compile_notify(
    raw: list[RawNotify], place: Place, element_id: str, line: int | None
) -> tuple[tuple[NotifyRule, ...], list[Diagnostic]]:
    """The rules of one place and what is wrong with them."""
    reader = _Reader(place, element_id, line)
    rules = tuple(rule for rule in (reader.rule(r) for r in raw) if rule is not None)
    return rules, reader.found


def _place(node: FlowNode) -> Place | None:
    if node.kind == "user_task":
        return "user_task"
    if node.kind == "end":
        return "end"
    return None


def node_notify(node: FlowNode) -> tuple[NotifyRule, ...]:
    place = _place(node)
    if place is None or not node.notify:
        return ()
    return compile_notify(node.notify, place, node.id, node.line)[0]


def check_notify(model: BpmnModel) -> list[Diagnostic]:
    found = (
        compile_notify(model.notify, "process", model.process_id, model.process_line)[1]
        if model.notify
        else []
    )
    for node in model.nodes.values():
        if not node.notify or node.kind == "unsupported":
            continue  # an unsupported element is already reported
        place = _place(node)
        if place is None:
            found.append(
                Diagnostic(
                    code="notify-placement",
                    message=f"shenpi:notify on a {node.tag} is not read (only on {_WHERE})",
                    element_id=node.id,
                    line=node.notify[0].line or node.line,
                )
            )
            continue
        found += compile_notify(node.notify, place, node.id, node.line)[1]
    return found
