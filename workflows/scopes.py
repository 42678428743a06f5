"""Subprocess scopes: entering and completing a subprocess, event subprocesses, inclusive joins.

A subprocess runs as a token waiting on its node (the *scope token*, which carries the scope's
local variables) while the tokens inside name it as their ``scope``. The scope completes when no
token is left inside it; the timer starts of its event subprocesses are ``listen`` tokens, armed
while it runs, which do not keep it open. docs/interpreter.md "Scopes".
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from shenpi_core.expressions import ExpressionError
from shenpi_core.process_plan import InclusiveGateway, StartEvent, SubProcess
from workflows import compensation, completions, events
from workflows.machine import TIMER
from workflows.timers import first_occurrence, next_occurrence
from workflows.tokens import BoundaryWait, Token

if TYPE_CHECKING:
    from workflows.engine import Engine


def enter(engine: Engine, token: Token, node: SubProcess) -> None:
    """Open the subprocess's scope: its input mappings become its local variables."""
    local = engine.mapped(node.inputs, engine.view(token))
    boundaries = engine.schedule_boundaries(token, node.boundary_timers)
    engine.open_scope(token, local)
    engine.record("subprocess_started", node.id)
    engine.spawn(node.start_node, scope=token.id)
    open_listeners(engine, token.id, node.id)
    engine.arm(token, boundaries)


def open_listeners(engine: Engine, scope: str | None, scope_node: str | None) -> None:
    """Arm the timer starts of the event subprocesses drawn in ``scope_node`` (None: the
    process); error and escalation starts need no arming, ``throws`` finds them in the plan."""
    for sub in engine.index.event_subprocesses.get(scope_node, []):
        start = engine.index.start_of(sub)
        if start.trigger is not None:  # a message, signal or conditional start
            events.subscribe(
                engine, engine.spawn(start.id, state="listen", scope=scope), [start.id]
            )
            continue
        if start.event != "timer" or start.timer is None:
            continue
        listener = engine.spawn(start.id, state="listen", scope=scope)
        first = first_occurrence(start.timer, engine.now(), engine.view(listener))
        remaining = first.remaining if not start.interrupting else 1
        wait = BoundaryWait(
            due_at=first.due_at, remaining=remaining, interval_seconds=first.interval_seconds
        )
        engine.listen(listener, start.id, wait)
        engine.waits.start_timer(listener.id, TIMER, wait.due_at)


def close_listeners(engine: Engine, scope: str | None) -> None:
    for listener in [t for t in engine.tokens if t.scope == scope and t.state == "listen"]:
        engine.remove(listener)


def timer_start(engine: Engine, listener: Token) -> None:
    """An event subprocess's timer start fired: start it (again, for a repeating one)."""
    start = engine.index.node(listener.node_id)
    assert isinstance(start, StartEvent) and start.parent is not None
    sub = engine.index.node(start.parent)
    assert isinstance(sub, SubProcess)
    engine.record("timer_fired", start.id, details={"interrupting": start.interrupting})
    wait = listener.boundaries.get(start.id)
    if (
        wait is not None
        and wait.interval_seconds is not None
        and (wait.remaining is None or wait.remaining > 1)
        and not start.interrupting
    ):
        following = BoundaryWait(
            due_at=next_occurrence(wait.due_at, wait.interval_seconds, engine.now()),
            remaining=None if wait.remaining is None else wait.remaining - 1,
            interval_seconds=wait.interval_seconds,
        )
        engine.listen_again(listener, start.id, following)
        engine.waits.start_timer(listener.id, TIMER, following.due_at)
    else:
        engine.remove(listener)
    trigger(engine, sub, listener.scope)


def trigger(engine: Engine, sub: SubProcess, scope: str | None) -> Token:
    """Start event subprocess ``sub`` in ``scope``; an interrupting one first ends everything
    else running there."""
    start = engine.index.start_of(sub)
    if start.interrupting:
        for other in [t for t in engine.tokens if t.scope == scope]:
            if other in engine.tokens:
                engine.end_token(other, "interrupted")
    activation = engine.spawn(sub.id, scope=scope)
    engine.open_scope(activation, {})
    details = {"event": start.event, "interrupting": start.interrupting}
    engine.record("event_subprocess_started", sub.id, details=details)
    engine.spawn(start.id, state="leave", scope=activation.id)
    open_listeners(engine, activation.id, sub.id)
    return activation


def settle(engine: Engine) -> bool:
    """Complete one subprocess nothing runs in any more, fire one inclusive join that no
    token can still reach, or move a compensation on; False when there is none of these."""
    if compensation.step(engine):
        return True
    for token in engine.tokens:
        node = engine.index.node(token.node_id)
        if (
            isinstance(node, SubProcess)
            and token.state == "wait"
            and token.multi is None  # a multi-instance body completes in multi.py
            and token.instance is None
            and not engine.active(token.id)
        ):
            _complete(engine, token, node)
            return True
        if (
            isinstance(node, InclusiveGateway)
            and token.state == "join"
            and engine.inclusive_ready(node, token.scope)
        ):
            return True
    return False


def _complete(engine: Engine, token: Token, node: SubProcess) -> None:
    """Its output mappings, evaluated inside, are set from the subprocess's place outwards;
    its local variables end with it."""
    close_listeners(engine, token.id)
    try:
        outputs = engine.mapped(node.outputs, engine.inner_view(token))
    except ExpressionError as err:
        engine.incident(token, "expression_error", err.message)
        completions.hold(token, {})  # a retry completes it again, not its inside
        return
    engine.record("subprocess_completed", node.id)
    engine.leave_activity(token)
    engine.assign(token, outputs)
