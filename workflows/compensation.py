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

from typing import TYPE_CHECKING

from temporalio import workflow

from shenpi_core.process_plan import EndEvent, Node, SubProcess, ThrowEvent
from workflows.tokens import Token

if TYPE_CHECKING:
    from workflows.engine import Engine

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
    if getattr(node, "loop", None) is not None and workflow.patched(PATCH_EACH_RUN):
        return  # each run was remembered as it completed (run_completed)
    inner = token.activation if isinstance(node, SubProcess) else None
    # A multi-instance node leaves only as its body (multi.leaving takes each instance's run).
    if getattr(node, "multi", None) is not None and workflow.patched(PATCH_EACH_INSTANCE):
        inner = instances_of(token)  # what compensating the body reaches: each instance
    engine.remember_completed(node.id, engine.scope_key(token), inner)


def instance_completed(engine: Engine, token: Token, node: Node, body: Token) -> None:
    """``token`` completed one instance of ``body``'s multi-instance ``node``: remembered
    inside the body, which is remembered in its scope once it completes (``completed``)."""
    if not _undoable(engine, node) or not workflow.patched(PATCH_EACH_INSTANCE):
        return
    inner = token.activation if isinstance(node, SubProcess) else None
    engine.remember_completed(node.id, instances_of(body), inner)


def run_completed(engine: Engine, token: Token, node: Node) -> None:
    """``token`` completed one run of ``node``'s standard loop: remembered on its own, so a
    throw compensates each run (Zeebe: as many times as the activity completed)."""
    if not _undoable(engine, node) or not workflow.patched(PATCH_EACH_RUN):
        return
    inner = token.activation if isinstance(node, SubProcess) else None
    engine.remember_completed(node.id, engine.scope_key(token), inner)


def instances_of(body: Token) -> str:
    """The key the instances of a multi-instance body are remembered under (token ids are
    never reused, so it names this run of the body)."""
    return f"multi:{body.id}"


def _undoable(engine: Engine, node: Node) -> bool:
    index = engine.index
    return node.id in index.handlers or node.id in index.compensable_scopes


def throw(engine: Engine, token: Token, node: ThrowEvent | EndEvent) -> bool:
    """Start compensating; True when ``token`` now waits for the handlers."""
    scope = _compensated_scope(engine, token)
    chosen = [
        r
        for r in engine.state.compensable
        if r["scope"] == scope and (node.code is None or r["node_id"] == node.code)
    ]
    handlers = _handlers(engine, chosen)
    details = {"activity": node.code, "handlers": list(handlers)}  # the list is consumed
    engine.record("compensation_thrown", node.id, details=details)
    if not handlers:
        return False
    waits = isinstance(node, EndEvent) or node.wait_for_completion
    driver = token if waits else engine.spawn(node.id, state="wait", scope=token.scope)
    engine.compensate_with(driver, handlers)
    return waits


def _compensated_scope(engine: Engine, token: Token) -> str | None:
    """The scope run a throw compensates: its own, or, thrown inside an event subprocess, the
    scope around it (the saga pattern: an error event subprocess undoes what the scope did)."""
    holder = engine.token(token.scope) if token.scope is not None else None
    node = engine.index.node(holder.node_id) if holder is not None else None
    if holder is not None and isinstance(node, SubProcess) and node.triggered_by_event:
        return engine.scope_key(holder)
    return engine.scope_key(token)


def _handlers(engine: Engine, records: list[dict[str, str | None]]) -> list[str]:
    """The handlers to run for ``records``, last completed first; each record is used once."""
    found: list[str] = []
    for record in reversed(records):
        if record not in engine.state.compensable:
            continue
        engine.state.compensable.remove(record)
        node_id = str(record["node_id"])
        inner = record["inner"]
        if inner is not None and inner.startswith("multi:"):  # a multi-instance body
            found += _handlers(engine, [r for r in engine.state.compensable if r["scope"] == inner])
            continue
        handler = engine.index.handlers.get(node_id) or engine.index.scope_handlers.get(node_id)
        if handler is not None:  # an activity, or a subprocess's compensation event subprocess
            found.append(handler)
        elif record["inner"] is not None:
            inside = [r for r in engine.state.compensable if r["scope"] == record["inner"]]
            found += _handlers(engine, inside)
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
