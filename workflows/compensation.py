"""Compensation: undoing completed activities (docs/interpreter.md "Compensation").

An activity with a compensation boundary event is remembered when it completes (with the scope
it ran in), and so is a subprocess that has one inside. A compensation throw (intermediate or
end) runs the handlers of the completed activities of its scope, or of the one activity it
names, one at a time, the last completed first; a completed subprocess runs its compensation
event subprocess, or else its own completed activities are compensated in its place. Each
activity is compensated once. A multi-instance activity's instances are remembered one by one,
inside its body, and the body once it completes: compensating it runs the handler for each
completed instance, the last completed first (Zeebe: as many times as the activity completed);
each completed run of a standard loop likewise.
The throwing token waits for the handlers (``waitForCompletion``), else a token of its own does.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from temporalio import workflow

from shenpi_core.process_plan import EndEvent, Node, SubProcess, ThrowEvent
from workflows.tokens import Token

if TYPE_CHECKING:
    from workflows.engine import Engine
    from workflows.machine import TokenMachine

# Before this, a multi-instance activity was remembered once, when its body completed, and
# compensated once; instances that ran then replay that way (docs/interpreter.md).
PATCH_EACH_INSTANCE = "shenpi-compensate-each-instance"
# Likewise a standard loop: remembered once when it ended, even a test-before loop that never
# ran; now each run that completed is, and nothing when none did.
PATCH_EACH_RUN = "shenpi-compensate-each-loop-run"


def completed(engine: Engine, token: Token, node: Node) -> None:
    """``token`` completed ``node``: remember it if compensation may undo it."""
    if not _undoable(engine, node):
        return
    # A multi-instance body and a standard loop were remembered as they ended (``run_ended``),
    # with their instances or runs; a test-before loop that never ran did nothing to undo.
    if getattr(node, "multi", None) is not None and workflow.patched(PATCH_EACH_INSTANCE):
        return
    if getattr(node, "loop", None) is not None and workflow.patched(PATCH_EACH_RUN):
        return
    inner = token.activation if isinstance(node, SubProcess) else None
    engine.remember_completed(node.id, engine.scope_key(token), inner)


def instance_completed(engine: Engine, token: Token, node: Node, body: Token) -> None:
    """``token`` completed one instance of ``body``'s multi-instance ``node``: remembered
    under the body's running key until the body ends (``run_ended``)."""
    if _undoable(engine, node) and workflow.patched(PATCH_EACH_INSTANCE):
        inner = token.activation if isinstance(node, SubProcess) else None
        engine.remember_completed(node.id, running_key("multi", body), inner)


def run_completed(engine: Engine, token: Token, node: Node) -> None:
    """``token`` completed one run of ``node``'s standard loop: remembered under the loop's
    running key until the loop ends (``run_ended``)."""
    if _undoable(engine, node) and workflow.patched(PATCH_EACH_RUN):
        inner = token.activation if isinstance(node, SubProcess) else None
        engine.remember_completed(node.id, running_key("loop", token), inner)


def run_ended(engine: Engine, token: Token, node: Node, kind: RunKind) -> None:
    """``token``'s multi-instance body or standard loop completed: what its instances or runs
    did moves to a key of its own (the token may run the activity again, a gateway looping
    back), which the activity's record in its scope names."""
    patch = PATCH_EACH_INSTANCE if kind == "multi" else PATCH_EACH_RUN
    if not _undoable(engine, node) or not workflow.patched(patch):
        return
    running, ended = running_key(kind, token), f"{kind}:{token.id}:{engine.count('compensation')}"
    for record in engine.state.compensable:
        if record["scope"] == running:
            record["scope"] = ended
    engine.remember_completed(node.id, engine.scope_key(token), ended)


def interrupted(machine: TokenMachine, token: Token) -> None:
    """``token``'s activity was interrupted: nothing of this run of it is undone later."""
    if token.multi is not None:
        machine.forget_compensation(running_key("multi", token))
        # A body is no scope: its activation is that of a subprocess the token completed
        # before, whose work stays undoable. Runs from before forgot it (replayed so).
        stale = token.activation
        kept = any(r["scope"] == stale for r in machine.state.compensable) if stale else False
        if kept and not workflow.patched(PATCH_EACH_INSTANCE):
            machine.forget_compensation(stale)
    elif isinstance(machine.index.node(token.node_id), SubProcess):
        machine.forget_compensation(token.activation)
    if token.loop is not None:
        machine.forget_compensation(running_key("loop", token))


def ended(machine: TokenMachine, token: Token) -> None:
    """``token`` is gone (an end inside a scope, a terminate): what its unfinished body or loop
    remembered can never be reached."""
    if token.multi is not None:
        machine.forget_compensation(running_key("multi", token))
    if token.loop is not None:
        machine.forget_compensation(running_key("loop", token))


RunKind = Literal["multi", "loop"]


def running_key(kind: RunKind, token: Token) -> str:
    """The key the instances of a running body, or the runs of a running loop, are remembered
    under: one per token, as a token runs one body or loop at a time."""
    return f"{kind}:{token.id}"


def by_scope(records: list[dict[str, str | None]]) -> dict[str | None, list[int]]:
    """The positions of the records of each scope key, in the order they completed."""
    found: dict[str | None, list[int]] = {}
    for n, record in enumerate(records):
        found.setdefault(record["scope"], []).append(n)
    return found


def _undoable(engine: Engine, node: Node) -> bool:
    index = engine.index
    return node.id in index.handlers or node.id in index.compensable_scopes


def throw(engine: Engine, token: Token, node: ThrowEvent | EndEvent) -> bool:
    """Start compensating; True when ``token`` now waits for the handlers."""
    handlers = undo(engine, _compensated_scope(engine, token), node.code)
    details = {"activity": node.code, "handlers": list(handlers)}  # the list is consumed
    engine.record("compensation_thrown", node.id, details=details)
    if not handlers:
        return False
    waits = isinstance(node, EndEvent) or node.wait_for_completion
    driver = token if waits else engine.spawn(node.id, state="wait", scope=token.scope)
    engine.compensate_with(driver, handlers)
    return waits


def undo(engine: Engine, scope: str | None, activity: str | None) -> list[str]:
    """The handlers that undo what completed in ``scope`` (only ``activity``, when named), in
    the order they run; their records are used up (each completion is undone once)."""
    records = engine.state.compensable
    index = by_scope(records)
    chosen = [
        n for n in index.get(scope, ()) if activity is None or records[n]["node_id"] == activity
    ]
    used: set[int] = set()
    handlers = _handlers(engine, index, chosen, used)
    records[:] = [r for n, r in enumerate(records) if n not in used]
    return handlers


def _compensated_scope(engine: Engine, token: Token) -> str | None:
    """The scope run a throw compensates: its own, or, thrown inside an event subprocess, the
    scope around it (the saga pattern: an error event subprocess undoes what the scope did)."""
    holder = engine.token(token.scope) if token.scope is not None else None
    node = engine.index.node(holder.node_id) if holder is not None else None
    if holder is not None and isinstance(node, SubProcess) and node.triggered_by_event:
        return engine.scope_key(holder)
    return engine.scope_key(token)


def _handlers(
    engine: Engine, index: dict[str | None, list[int]], chosen: list[int], used: set[int]
) -> list[str]:
    """The handlers to run for the records at ``chosen``, last completed first; each record is
    used once (``used``)."""
    records = engine.state.compensable
    found: list[str] = []
    for n in reversed(chosen):
        if n in used:
            continue
        used.add(n)
        node_id, inner = str(records[n]["node_id"]), records[n]["inner"]
        if inner is not None and inner.startswith(("multi:", "loop:")):  # instances, runs
            found += _handlers(engine, index, index.get(inner, []), used)
            continue
        handler = engine.index.handlers.get(node_id) or engine.index.scope_handlers.get(node_id)
        if handler is not None:  # an activity, or a subprocess's compensation event subprocess
            found.append(handler)
        elif inner is not None:
            found += _handlers(engine, index, index.get(inner, []), used)
    return found


def step(engine: Engine) -> bool:
    """Start the next handler of a waiting compensation, or let a finished one go on."""
    for token in engine.tokens:
        if token.compensating is None or token.state != "wait":
            continue
        if any(t.compensates == token.id for t in engine.tokens):
            continue  # its current handler still runs
        handler = engine.next_handler(token)
        if handler is not None:
            engine.spawn(handler, scope=token.scope, compensates=token.id)
            return True
        engine.compensate_with(token, None)
        node = engine.index.node(token.node_id)
        if isinstance(node, ThrowEvent) and node.wait_for_completion:
            engine.passed(token)
        else:  # an end event, or the token of a throw that did not wait
            engine.remove(token)
        return True
    return False
