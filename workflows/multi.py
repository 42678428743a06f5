"""Multi-instance activities: one run of a service, send, business rule or script task, a
subprocess or a call activity per element of a collection (docs/interpreter.md "Multi-instance").

The token that enters the activity becomes its *body*: it waits on the node, holds the
boundary events and the progress (``Token.multi``, Zeebe's output collection too); its local
variables are Camunda's counters. Each running instance is a token waiting on the same
node inside the body (its locals: the element and ``loopCounter``), and in it one token runs
the activity as if alone. At most ``max_in_flight`` instances run at once (one when
sequential); each one that completes starts the next, so a 1,000-element collection never
makes one huge workflow task. When continue-as-new is wanted the bodies stop starting
instances, so the instance can continue as new once those in flight are done
(``TokenMachine.parked``); ``resume`` starts them again in the next run.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from shenpi_core.expressions import ExpressionError, evaluate, evaluate_bool
from shenpi_core.process_plan import Expression, MultiInstance, Node
from workflows import compensation
from workflows.tokens import MultiState, Token

if TYPE_CHECKING:
    from workflows.engine import Engine


def multi_of(node: Node) -> MultiInstance | None:
    return getattr(node, "multi", None)


def entering(engine: Engine, token: Token, node: Node) -> bool:
    """True when ``token`` opened the body of a multi-instance activity (it runs nothing
    itself); False for any other token, the runs inside a body included."""
    spec = multi_of(node)
    if spec is None or engine.instance_holder(token) is not None:
        return False
    view = engine.view(token)
    items = _collection(spec, view)
    count = len(items) if items is not None else _cardinality(spec, view)
    boundaries = engine.schedule_boundaries(token, getattr(node, "boundary_timers", ()))
    progress = MultiState(items=items, count=count)
    if spec.output_collection is not None:  # Zeebe: null until each instance adds its element
        progress.outputs = [None] * count
    engine.open_body(token, progress, {})
    engine.record(
        "multi_instance_started",
        node.id,
        details={"instances": count, "sequential": spec.sequential},
    )
    if count == 0:
        _complete(engine, token, spec, cancelled=0)
        return True
    _fill(engine, token, spec)
    engine.arm(token, boundaries)
    return True


def leaving(engine: Engine, token: Token, node: Node) -> bool:
    """True when ``token`` completed one instance (it never follows the outgoing flows: the
    body does, once every instance is done or the completion condition holds)."""
    spec = multi_of(node)
    holder = engine.instance_holder(token) if spec is not None else None
    if spec is None or holder is None:
        return False
    body = engine.token(holder.scope or "")
    assert body is not None and body.multi is not None
    # Evaluated before anything changes: a failing expression parks this run as an incident.
    view = engine.inner_view(holder)
    output = None
    if spec.output_element is not None:
        output = evaluate(spec.output_element.ast, view)
    done = False
    if spec.completion_condition is not None:
        completed = body.multi.completed + 1
        counted = {
            **view,
            "nrOfCompletedInstances": completed,
            "nrOfActiveInstances": body.multi.started - completed,
        }
        done = evaluate_bool(spec.completion_condition.ast, counted)
    compensation.instance_completed(engine, token, node, body)
    engine.close_instance(body, holder, output)
    if done:  # the condition holds: the instances still running are cancelled
        rest = [t for t in engine.tokens if t.scope == body.id]
        for other in rest:
            engine.end_token(other, "closed")
        _complete(engine, body, spec, cancelled=len(rest))
    elif body.multi.completed == body.multi.count:
        _complete(engine, body, spec, cancelled=0)
    else:
        _fill(engine, body, spec)
    return True


def resume(engine: Engine, body: Token) -> None:
    """After continue-as-new: start the instances the body held back."""
    spec = multi_of(engine.index.node(body.node_id))
    if spec is not None and body.multi is not None:
        _fill(engine, body, spec)


def _fill(engine: Engine, body: Token, spec: MultiInstance) -> None:
    """Start instances until ``max_in_flight`` run (one when sequential) or none is left."""
    progress = body.multi
    assert progress is not None
    window = 1 if spec.sequential else spec.max_in_flight
    while progress.started < progress.count and progress.started - progress.completed < window:
        if _draining(engine):
            return
        index = progress.started
        local: dict[str, Any] = {"loopCounter": index + spec.counter_base}
        if spec.element_variable:
            local[spec.element_variable] = progress.items[index] if progress.items else None
        named = _output_variable(spec)
        if named is not None:  # Zeebe makes it local, so parallel instances never share it
            local[named] = None
        engine.open_instance(body, local)


def _draining(engine: Engine) -> bool:
    """Continue-as-new is wanted and only multi-instance bodies keep it from happening: start
    no more instances, so once those running are done the instance can continue as new."""
    if not engine.continue_as_new_wanted:
        return False
    bodies = [t for t in engine.tokens if t.multi is not None]
    inside = {t.id for body in bodies for t in engine.inside(body)}
    return all(engine.parked_token(t) for t in engine.tokens if t.id not in inside)


def _complete(engine: Engine, body: Token, spec: MultiInstance, *, cancelled: int) -> None:
    """The body is done: the output collection is set from its place, and it moves on."""
    progress = body.multi
    assert progress is not None
    outputs = progress.outputs
    details = {"instances": progress.count, "completed": progress.completed}
    engine.record(
        "multi_instance_completed", body.node_id, details={**details, "cancelled": cancelled}
    )
    compensation.run_ended(engine, body, engine.index.node(body.node_id), "multi")
    engine.leave_activity(body)
    if spec.output_collection is not None:
        engine.assign(body, {spec.output_collection: outputs})


def _collection(spec: MultiInstance, view: dict[str, Any]) -> list[Any] | None:
    if spec.collection is None:
        return None
    items = evaluate(spec.collection.ast, view)
    if not isinstance(items, list | tuple):
        shown = "null" if items is None else type(items).__name__
        raise ExpressionError(
            f"the multi-instance collection {spec.collection.source!r} is {shown}, not a list"
        )
    return list(items)


def _cardinality(spec: MultiInstance, view: dict[str, Any]) -> int:
    value = evaluate(spec.cardinality.ast, view) if spec.cardinality is not None else None
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if (
        isinstance(value, int | float | Decimal)
        and not isinstance(value, bool)
        and value >= 0
        and value == int(value)
    ):
        return int(value)
    source = spec.cardinality.source if spec.cardinality is not None else ""
    raise ExpressionError(f"loopCardinality {source!r} is {value!r}, not a count")


def sent_variables(engine: Engine, token: Token, variables: dict[str, Any]) -> dict[str, Any]:
    """What one run of a multi-instance activity sends its worker or child process: the
    variables but the body's collection, which every run would otherwise carry whole (50
    schedules of a 1,000-element list in one workflow task); each run has its element."""
    spec = multi_of(engine.index.node(token.node_id))
    if spec is None or engine.instance_holder(token) is None:
        return variables
    name = _variable_of(spec.collection)
    return {k: v for k, v in variables.items() if k != name} if name in variables else variables


def _output_variable(spec: MultiInstance) -> str | None:
    """The variable Zeebe's ``outputElement`` reads, when it is one (``= result``)."""
    return _variable_of(spec.output_element)


def _variable_of(expression: Expression | None) -> str | None:
    """The variable ``expression`` only reads, when that is all it does."""
    ast = expression.ast if expression is not None else None
    if isinstance(ast, dict) and ast.get("op") == "feel":
        ast = ast["args"][0]
    if isinstance(ast, dict) and ast.get("feel") == "name":
        return str(ast["v"])
    if isinstance(ast, dict) and isinstance(ast.get("var"), list) and len(ast["var"]) == 1:
        return str(ast["var"][0])
    return None
