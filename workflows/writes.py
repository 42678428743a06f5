"""What a decision may carry: the variables its task declares, and ids within the limits.

A decision's ``variables`` are merged into the instance, where conditions route on them, so an
approver could otherwise skip review by sending ``amount: 100`` or redirect the outcome notice by
sending ``initiator`` (docs/approvals.md "What a decision may write"). ``check_inputs`` runs in
the update validator: a refusal leaves no trace in history. What it looks at (the node's
declarations, the request's own fields, the ids sent) never changes while the task is open.

``merge`` applies accepted variables and returns the changes for the timeline (and the archive).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, MutableMapping
from typing import Any

from shenpi_core.contracts import DecisionInput, ErrorType, TaskView
from shenpi_core.limits import (
    MAX_DECISION_VARIABLES_BYTES,
    MAX_SIGNERS_PER_REQUEST,
    LimitError,
    check_user_ids,
    check_variables,
)
from shenpi_core.process_plan import (
    ServiceTask,
    StartEvent,
    UserTask,
    VariableType,
    is_engine_variable,
)
from workflows.machine import TokenMachine
from workflows.refusals import refuse

# Actions that complete a task and may write what it declares; the others carry no variables.
_WRITING_ACTIONS = ("approve", "reject", "resubmit")
_ONE_ID = ("transfer", "delegate")
_SOME_IDS = ("add_signer", "remove_signer")
# A value longer than this (as JSON) is recorded as its digest and size, not itself.
_INLINE_CHARS = 200


def check_inputs(machine: TokenMachine, task: TaskView, decision: DecisionInput) -> None:
    """Raise the 422 refusal of a decision whose variables or ids break the rules."""
    _check_ids(decision)
    if not decision.variables:
        return
    if decision.action not in _WRITING_ACTIONS:
        raise refuse(
            ErrorType.UNDECLARED_VARIABLES,
            f"{decision.action} takes no variables",
            {"undeclared": sorted(decision.variables)},
        )
    try:
        check_variables(decision.variables, max_bytes=MAX_DECISION_VARIABLES_BYTES)
    except LimitError as err:
        raise refuse(ErrorType.INVALID_INPUT, str(err), {}) from None
    allowed = writable(machine, task)
    process_owned = engine_owned(machine)
    owned = sorted(n for n in decision.variables if _owned(n, process_owned))
    undeclared = sorted(n for n in decision.variables if n not in allowed and n not in owned)
    wrong = sorted(
        n
        for n in decision.variables
        if n in allowed and not _fits(decision.variables[n], allowed[n])
    )
    if owned or undeclared or wrong:
        parts = [f"set by the engine: {owned}"] if owned else []
        parts += [f"not declared by {task.node_id}: {undeclared}"] if undeclared else []
        parts += [f"of the wrong type: {[f'{n} ({allowed[n]})' for n in wrong]}"] if wrong else []
        raise refuse(
            ErrorType.UNDECLARED_VARIABLES,
            "variables refused: " + "; ".join(parts),
            {"engine_owned": owned, "undeclared": undeclared, "wrong_type": wrong},
        )


def writable(machine: TokenMachine, task: TaskView) -> dict[str, VariableType]:
    """Name → type of what a decision on ``task`` may write. The initiator's resubmit task
    (修改后重新提交) edits the request's own fields; other tasks, what their node declares."""
    owned = engine_owned(machine)
    if task.kind == "resubmit":
        return {n: "any" for n in machine.state.request_fields if not _owned(n, owned)}
    node = machine.index.node(task.node_id)
    if not isinstance(node, UserTask):
        return {}
    return {v.name: v.type for v in node.variables if not _owned(v.name, owned)}


def engine_owned(machine: TokenMachine) -> frozenset[str]:
    """The engine's variables in this process besides its own names (``is_engine_variable``):
    the start event's initiator variable and what service tasks store."""
    owned: set[str] = set()
    for node in machine.index.plan.nodes:
        if isinstance(node, StartEvent) and node.initiator_variable:
            owned.add(node.initiator_variable)
        elif isinstance(node, ServiceTask):
            owned.update(m.target for m in node.outputs)
            owned.update([node.result_variable] if node.result_variable else [])
    return frozenset(owned)


def _owned(name: str, process_owned: frozenset[str]) -> bool:
    return is_engine_variable(name) or name in process_owned


def merge(variables: MutableMapping[str, Any], updates: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Apply ``updates``; return each change (name, old and new value or their digests)."""
    changes = [
        _change(name, variables.get(name), updates[name], name in variables)
        for name in sorted(updates)
        if name not in variables or variables[name] != updates[name]
    ]
    variables.update(updates)
    return changes


def _change(name: str, old: Any, new: Any, existed: bool) -> dict[str, Any]:
    change: dict[str, Any] = {"name": name}
    for key, value in (("old", old), ("new", new)):
        if key == "old" and not existed:
            continue
        text = json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
        if len(text) <= _INLINE_CHARS:
            change[key] = value
        else:
            change[f"{key}_sha256"] = hashlib.sha256(text.encode("utf-8")).hexdigest()
            change[f"{key}_chars"] = len(text)
    return change


def _check_ids(decision: DecisionInput) -> None:
    to = decision.to
    ids = [to] if isinstance(to, str) else list(to or [])
    if decision.action in _SOME_IDS and len(ids) > MAX_SIGNERS_PER_REQUEST:
        raise refuse(
            ErrorType.INVALID_INPUT,
            f"{len(ids)} user ids in one {decision.action}, more than {MAX_SIGNERS_PER_REQUEST}",
            {},
        )
    if decision.action in (*_ONE_ID, *_SOME_IDS):
        try:
            check_user_ids(ids, groups=decision.action in _SOME_IDS)
        except LimitError as err:
            raise refuse(ErrorType.INVALID_INPUT, str(err), {}) from None


def _fits(value: Any, kind: VariableType) -> bool:
    if value is None or kind == "any":
        return True
    if kind == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    expected: dict[str, type | tuple[type, ...]] = {
        "string": str,
        "date": str,
        "boolean": bool,
        "list": list,
        "object": dict,
    }
    return isinstance(value, expected[kind])
