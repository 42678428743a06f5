"""BPMN errors and escalations: where a throw is caught, and what the catch does.

The search goes outwards from the thrower, as Zeebe's: the boundary events of the activity it
waits in (a service task raising a BPMN error), then, scope by scope, the event subprocesses
drawn in the scope and the boundary events of the subprocess itself; an exact code wins over a
catch-all at each place. An uncaught error is an incident naming its code; an uncaught escalation
is recorded and the flow goes on. docs/interpreter.md "Errors and escalations".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from shenpi_core.contracts import ThrownError
from shenpi_core.process_plan import (
    BoundaryEvent,
    CallActivity,
    ServiceTask,
    StartEvent,
    SubProcess,
)
from workflows import scopes
from workflows.tokens import Token

if TYPE_CHECKING:
    from workflows.engine import Engine

Kind = Literal["error", "escalation"]


@dataclass
class Catch:
    """A boundary event on ``holder``'s activity, or an event subprocess of scope ``scope``."""

    boundary: BoundaryEvent | None = None
    holder: Token | None = None
    event_subprocess: SubProcess | None = None
    scope: str | None = None

    @property
    def node_id(self) -> str:
        node = self.boundary or self.event_subprocess
        assert node is not None
        return node.id


def error(engine: Engine, token: Token, code: str | None, message: str) -> None:
    """``token`` throws an error: the catch ends the activity or scope it is thrown in."""
    catch = find(engine, token, "error", code)
    caller = engine.state.called_by
    if catch is None and caller is not None:  # thrown again at the call activity that called us
        details = {"code": code, "message": message, "caught_by": None, "to_caller": caller.node_id}
        engine.record("error_thrown", token.node_id, details=details)
        engine.state.error = ThrownError(code=code, message=message)
        engine.end_all("error")
        return
    details = {"code": code, "message": message, "caught_by": catch.node_id if catch else None}
    engine.record("error_thrown", token.node_id, details=details)
    if catch is None:
        named = f"error {code!r}" if code is not None else "an error without a code"
        engine.incident(token, "unhandled_error", f"{named} was not caught: {message}")
        return
    _catch(engine, catch, interrupting=True)
    if token in engine.tokens and token is not catch.holder:  # a thrower is consumed by its catch
        engine.end_token(token, "error")


def escalation(engine: Engine, token: Token, code: str | None) -> None:
    """``token`` escalates; unless an interrupting catch ends it, it goes on afterwards."""
    catch = find(engine, token, "escalation", code)
    details: dict[str, object] = {"code": code, "caught_by": catch.node_id if catch else None}
    caller = engine.state.called_by
    if catch is None and caller is not None:  # the caller's call activity may catch it
        details["to_caller"] = caller.node_id
        engine.waits.escalate_to_caller(code)
    engine.record("escalation_thrown", token.node_id, details=details)
    if catch is not None:
        _catch(engine, catch, interrupting=_interrupting(engine, catch))


def find(engine: Engine, token: Token, kind: Kind, code: str | None) -> Catch | None:
    activity = engine.index.node(token.node_id)
    if token.state == "wait" and isinstance(activity, ServiceTask | CallActivity):
        boundary = _boundary(engine, token.node_id, kind, code)
        if boundary is not None:  # on a multi-instance activity: its body's
            return Catch(boundary=boundary, holder=engine.body_of(token))
    scope_id = token.scope
    siblings = True  # the event subprocesses of the scope the throw is in may catch it
    while True:
        holder = engine.token(scope_id) if scope_id is not None else None
        scope_node = holder.node_id if holder is not None else None
        sub = _event_subprocess(engine, scope_node, kind, code) if siblings else None
        if sub is not None:
            return Catch(event_subprocess=sub, scope=scope_id)
        if holder is None:
            return None
        holder = engine.body_of(holder)  # one run of a multi-instance subprocess: its body's
        boundary = _boundary(engine, holder.node_id, kind, code)
        if boundary is not None:
            return Catch(boundary=boundary, holder=holder)
        # Thrown inside an event subprocess: it goes past its sibling event subprocesses (it
        # would catch itself again) to the subprocess around them, as Zeebe does.
        activation = engine.index.node(holder.node_id)
        siblings = not (isinstance(activation, SubProcess) and activation.triggered_by_event)
        scope_id = holder.scope


def _boundary(engine: Engine, node_id: str, kind: Kind, code: str | None) -> BoundaryEvent | None:
    catchers = [b for b in engine.index.catchers.get(node_id, []) if b.catches == kind]
    exact = next((b for b in catchers if b.code is not None and b.code == code), None)
    return exact or next((b for b in catchers if b.code is None), None)


def _event_subprocess(
    engine: Engine, scope_node: str | None, kind: Kind, code: str | None
) -> SubProcess | None:
    starts: list[tuple[StartEvent, SubProcess]] = [
        (engine.index.start_of(sub), sub)
        for sub in engine.index.event_subprocesses.get(scope_node, [])
    ]
    matching = [(s, sub) for s, sub in starts if s.event == kind]
    exact = next((sub for s, sub in matching if s.code is not None and s.code == code), None)
    return exact or next((sub for s, sub in matching if s.code is None), None)


def _interrupting(engine: Engine, catch: Catch) -> bool:
    if catch.boundary is not None:
        return catch.boundary.interrupting
    assert catch.event_subprocess is not None
    return engine.index.start_of(catch.event_subprocess).interrupting


def _catch(engine: Engine, catch: Catch, *, interrupting: bool) -> None:
    if catch.event_subprocess is not None:
        scopes.trigger(engine, catch.event_subprocess, catch.scope)
        return
    assert catch.boundary is not None and catch.holder is not None
    if interrupting:
        engine.interrupt(catch.holder, catch.boundary.catches)
        engine.go_to(catch.holder, catch.boundary.id, state="leave")
    else:
        engine.spawn(catch.boundary.id, state="leave", scope=catch.holder.scope)
