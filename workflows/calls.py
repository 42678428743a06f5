"""Call activities: the called process runs as a Temporal child workflow of this instance
(docs/interpreter.md "Call activities").

The token waits on the call activity while the worker's ``shenpi-resolve-process`` activity
finds the deployed version its binding names and the child runs; the child's final variables come
back through the output mappings. A BPMN error the child does not catch ends it and is thrown
again here, at the call activity; an escalation it does not catch is signalled here. Cancelling,
withdrawing or interrupting the caller cancels the child.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from shenpi_core.contracts import InstanceState, ResolveProcessInput, ResolveProcessResult
from shenpi_core.expressions import ExpressionError
from shenpi_core.process_plan import CallActivity
from workflows import completions, multi, rejects, throws
from workflows.tokens import Token

if TYPE_CHECKING:
    from workflows.engine import Engine

# What a child's "propagate all" never carries back: the child's own starter and outcome (the
# outcome is readable as `outcome` in output mappings).
NOT_PROPAGATED = frozenset({"initiator", "outcome"})


def enter(engine: Engine, token: Token, node: CallActivity) -> None:
    view = engine.view(token)
    variables = {**(dict(view) if node.all_in else {}), **engine.mapped(node.inputs, view)}
    variables = multi.sent_variables(engine, token, variables)
    boundaries = engine.schedule_boundaries(token, node.boundary_timers)
    arg = ResolveProcessInput(
        process_id=node.called_process,
        binding=node.binding,
        version=node.version,
        version_tag=node.version_tag,
        caller_process_id=engine.index.plan.process_id,
        caller_version=engine.state.version,
    )
    engine.wait(token)

    def child_id(resolved: ResolveProcessResult) -> str:
        key = "call"
        engine.state.counters[key] = engine.state.counters.get(key, 0) + 1
        instance_id = f"{engine.workflow_id}.{node.id}.{engine.state.counters[key]}"
        details = {
            "process_id": resolved.plan.process_id,
            "version": resolved.version,
            "instance_id": instance_id,
        }
        engine.record("call_started", node.id, details=details)
        return instance_id

    engine.waits.start_call(token.id, arg, variables, child_id)
    engine.arm(token, boundaries)


def completed(engine: Engine, token_id: str, result: InstanceState, instance_id: str) -> None:
    token = engine.token(token_id)
    if token is None or token.state != "wait":
        return
    node = engine.index.node(token.node_id)
    assert isinstance(node, CallActivity)
    engine.resolve_incidents(node.id, "call_failed")
    if result.error is not None:
        throws.error(engine, token, result.error.code, result.error.message)
        return
    finish(engine, token, node, result.variables, result.outcome, instance_id)


def finish(
    engine: Engine,
    token: Token,
    node: CallActivity,
    variables: dict[str, Any],
    outcome: str | None,
    instance_id: str,
) -> None:
    """The child's result through the output mappings; a failing one parks the token with the
    result, which a retry applies again (``completions``)."""
    child: dict[str, Any] = {**variables, "outcome": outcome}
    try:
        mapped = engine.mapped(node.outputs, {**engine.view(token), **child})
    except ExpressionError as err:
        engine.incident(token, "expression_error", err.message)
        held = {"variables": variables, "outcome": outcome, "instance_id": instance_id}
        completions.hold(token, held)
        return
    passed = {k: v for k, v in variables.items() if k not in NOT_PROPAGATED}
    engine.record(
        "call_completed", node.id, details={"instance_id": instance_id, "outcome": outcome}
    )
    engine.assign(token, {**(passed if node.all_out else {}), **mapped})
    if outcome in ("approved", "rejected"):  # a called approval decides like a step
        engine.variables["approved"] = outcome == "approved"
        if outcome == "rejected" and not rejects.routes_reject(engine, node):
            engine.end_all("rejected")  # no gateway after it says what a reject means
            return
    engine.leave_activity(token)


def failed(engine: Engine, token_id: str, message: str) -> None:
    token = engine.token(token_id)
    if token is not None and token.state == "wait":
        engine.incident(token, "call_failed", message)


def escalated(engine: Engine, token_id: str, code: str | None) -> None:
    """The child escalated and no one inside caught it: the call activity's boundaries may."""
    token = engine.token(token_id)
    if token is not None and token.state == "wait":
        throws.escalation(engine, token, code)
