"""Approval steps: ``<shenpi:approval>`` and multi-instance user tasks → ``ApprovalSpec``.

One function, ``compile_approval``, serves both the check rule (its diagnostics) and the plan (its
spec), so what is reported and what is built can never disagree. A multi-instance user task maps
onto the same machinery (parallel → ``all``, sequential → ``sequential``, the collection as the
approvers); a ``<shenpi:approval>`` on the same task wins for what it says.
"""

from __future__ import annotations

import math

from bpmn_compiler.diagnostics import Diagnostic
from bpmn_compiler.expressions import ExpressionSyntaxError, compile_value
from bpmn_compiler.model import BpmnModel, FlowNode, RawText, whole_number
from bpmn_compiler.multi_instance import multi_instance_spec
from bpmn_compiler.rules_directory import WHERE, calls_directory
from bpmn_compiler.rules_flow import diag
from bpmn_compiler.timers import TimerSyntaxError, duration_seconds
from shenpi_core.process_plan import ApprovalSpec

# Attributes with a closed set of values: XML name -> (ApprovalSpec field, allowed values).
_CHOICES: dict[str, tuple[str, tuple[str, ...]]] = {
    "mode": ("mode", ("single", "sequential", "all", "any", "vote")),
    "rejectRule": ("reject_rule", ("first_reject", "after_all")),
    "resubmitTo": ("resubmit_to", ("rejecting_node", "start")),
    "onTimeout": ("on_timeout", ("none", "approve", "reject", "escalate")),
    "ifInitiator": ("if_initiator", ("none", "skip", "manager")),
    "ifAlreadyApproved": ("if_already_approved", ("none", "skip")),
}
_OTHERS = ("approvers", "passRatio", "rejectTo", "dueIn", "remindEvery", "remindMax", "escalateTo")
KNOWN_ATTRIBUTES = (*_CHOICES, *_OTHERS)
REJECT_KEYWORDS = ("end", "previous", "initiator")
_REJECT_TARGET_KINDS = ("user_task", "start")


class _Approval:
    """Reads one task's approval, collecting diagnostics instead of stopping at the first."""

    def __init__(self, node: FlowNode, model: BpmnModel) -> None:
        self.node, self.model = node, model
        self.found: list[Diagnostic] = []
        self.spec: dict[str, object] = {}

    def problem(self, message: str, line: int | None, code: str = "approval-attribute") -> None:
        self.found.append(diag(code, message, self.node, line=line or self.node.line))

    def expression(self, what: str, raw: RawText) -> object | None:
        if not raw.text:
            self.problem(f"{what} is empty", raw.line)
            return None
        try:
            return compile_value(raw, as_list=True)
        except ExpressionSyntaxError as err:
            self.problem(f"{what}: {err.message}", raw.line, "expression-syntax")
            return None

    def attributes(self, attrs: dict[str, RawText]) -> None:
        for name, raw in attrs.items():
            if name not in KNOWN_ATTRIBUTES:
                known = ", ".join(KNOWN_ATTRIBUTES)
                self.problem(f"unknown attribute {name!r} (known: {known})", raw.line)
            elif name in _CHOICES:
                field, allowed = _CHOICES[name]
                if raw.text in allowed:
                    self.spec[field] = raw.text
                else:
                    self.problem(
                        f"{name}={raw.text!r} is not one of {', '.join(allowed)}", raw.line
                    )
        for name, field in (("approvers", "approvers"), ("escalateTo", "escalate_to")):
            if name in attrs:
                self.spec[field] = self.expression(name, attrs[name])
        if "passRatio" in attrs:
            self.pass_ratio(attrs["passRatio"])
        if "rejectTo" in attrs:
            self.reject_to(attrs["rejectTo"])
        for name, field in (("dueIn", "due_in"), ("remindEvery", "remind_every")):
            if name in attrs:
                self.duration(name, field, attrs[name])
        if "remindMax" in attrs:
            raw = attrs["remindMax"]
            count = whole_number(raw.text)
            if count is not None:
                self.spec["remind_max"] = count
            else:
                self.problem(
                    f"remindMax={raw.text!r} is not a whole number >= 0 (9 digits at most)",
                    raw.line,
                )

    def pass_ratio(self, raw: RawText) -> None:
        text = raw.text.strip()
        percent = text.endswith("%")
        try:
            ratio = float(text[:-1] if percent else text) / (100 if percent else 1)
        except ValueError:
            ratio = math.nan
        if not 0 < ratio <= 1:  # also false for nan
            self.problem(f"passRatio={raw.text!r} must be in (0, 1] (e.g. 0.6 or 60%)", raw.line)
        else:
            self.spec["pass_ratio"] = ratio

    def reject_to(self, raw: RawText) -> None:
        target = raw.text
        node = self.model.nodes.get(target)
        if (
            node is not None
            and node.kind in _REJECT_TARGET_KINDS
            and node.parent != self.node.parent
        ):
            self.problem(
                f"rejectTo={target!r} is in another scope than the task; a rejected request goes"
                " back within its own subprocess (or process)",
                raw.line,
            )
        elif target in REJECT_KEYWORDS or (node is not None and node.kind in _REJECT_TARGET_KINDS):
            self.spec["reject_to"] = target
        elif node is None:
            self.problem(
                f"rejectTo={target!r} is neither {', '.join(REJECT_KEYWORDS)} nor a node of the"
                " process",
                raw.line,
            )
        else:
            self.problem(
                f"rejectTo={target!r} names an element of type {node.tag}; only a user task or"
                " the start event can take a rejected request back",
                raw.line,
            )

    def duration(self, name: str, field: str, raw: RawText) -> None:
        try:
            self.spec[f"{field}_seconds"] = duration_seconds(raw.text)
            self.spec[field] = raw.text
        except TimerSyntaxError as err:
            self.problem(f"{name}: {err.message}", raw.line)

    def directory_actors(self) -> None:
        """A directory call in the assignee or candidates: resolve it as the step's approvers.

        The workflow looks the directory up only for approvers, so a task written the usual way
        (``shenpi:assignee="${manager(initiator)}"``) becomes a step with those approvers.
        """
        ext = self.node.ext
        actors = [
            (what, raw)
            for what, raw in (
                ("assignee", ext.assignee),
                ("candidate users", ext.candidate_users),
                ("candidate groups", ext.candidate_groups),
            )
            if raw is not None
        ]
        calling = [(what, raw) for what, raw in actors if calls_directory(raw)]
        if not calling:
            return
        what, raw = calling[0]
        movable = self.node.multi_instance is None and "approvers" not in self.spec
        if movable and len(actors) == 1 and what != "candidate groups":
            self.spec["approvers"] = compile_value(raw, as_list=True)
            return
        for what, raw in calling:
            self.problem(
                f"{what}: directory functions are only looked up for {WHERE}",
                raw.line,
                "directory-call",
            )

    def consistency(self, attrs: dict[str, RawText], line: int | None) -> None:
        """Rules between attributes; each says which attribute to fix."""
        mode = self.spec.get("mode", "single")
        mode_known = "mode" in self.spec or "mode" not in attrs  # else already reported
        if mode == "vote" and "approvers" not in attrs and "approvers" not in self.spec:
            self.problem('mode="vote" needs approvers (the voters)', line)
        if "passRatio" in attrs and mode != "vote" and mode_known:
            self.problem(f'passRatio applies to mode="vote" only, not {mode!r}', line)
        if "remindEvery" in attrs and "dueIn" not in attrs:
            self.problem("remindEvery needs dueIn (reminders lead up to the due time)", line)
        if self.spec.get("on_timeout", "none") != "none" and "dueIn" not in attrs:
            self.problem(f"onTimeout={attrs['onTimeout'].text!r} needs dueIn", line)
        if "escalateTo" in attrs and self.spec.get("on_timeout") != "escalate":
            self.problem('escalateTo is only used with onTimeout="escalate"', line)
        every = self.spec.get("remind_every_seconds")
        due = self.spec.get("due_in_seconds")
        if "remindMax" not in attrs and isinstance(every, float) and isinstance(due, float):
            # Unset: remind at every interval that falls before the due time.
            reminders = math.ceil(due / every) - 1
            if reminders < 1:
                self.problem(
                    "remindEvery is not shorter than dueIn, so no reminder falls before the due"
                    " time; shorten it or set remindMax",
                    line,
                )
            self.spec["remind_max"] = max(reminders, 0)


def compile_approval(
    node: FlowNode, model: BpmnModel
) -> tuple[ApprovalSpec | None, list[Diagnostic]]:
    """The task's approval spec (None for a plain task) and every problem found on the way."""
    if node.kind != "user_task":
        return None, []
    ext = node.ext
    if (
        not node.approvals
        and node.multi_instance is None
        and ext.assignee is None
        and ext.candidate_users is None
        and ext.candidate_groups is None
    ):
        return None, []  # a plain task without assignment: nothing below would say anything
    reader = _Approval(node, model)
    if not node.approvals and node.multi_instance is None:
        reader.directory_actors()  # a plain task whose assignee asks the directory
        if not reader.spec and not reader.found:
            return None, []
    if node.multi_instance is not None:
        spec, found = multi_instance_spec(node, node.multi_instance)
        reader.spec.update(spec)
        reader.found += found
    attrs = node.approvals[0].attributes if node.approvals else {}
    line = node.approvals[0].line if node.approvals else node.line
    for extra in node.approvals[1:]:
        reader.problem("a user task takes one shenpi:approval; this one is extra", extra.line)
    reader.attributes(attrs)
    if node.approvals or node.multi_instance is not None:
        reader.directory_actors()
    reader.consistency(attrs, line)
    if any(d.severity == "error" for d in reader.found):
        return None, reader.found
    return ApprovalSpec.model_validate(reader.spec), reader.found


def check_approvals(model: BpmnModel) -> list[Diagnostic]:
    """Rule: every approval step compiles; ``<shenpi:approval>`` elsewhere is reported."""
    found: list[Diagnostic] = []
    for node in model.nodes.values():
        if node.kind != "user_task" and not node.approvals:
            continue  # compile_approval reads only user tasks
        if node.approvals and node.kind not in ("user_task", "unsupported"):
            found.append(
                diag(
                    "approval-attribute",
                    f"shenpi:approval on a {node.tag} is not read (only on user tasks)",
                    node,
                    line=node.approvals[0].line,
                )
            )
        found += compile_approval(node, model)[1]
    return found
