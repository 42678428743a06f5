"""Business rule tasks: a deployed DMN decision evaluated in the workflow (docs/dmn.md "Business
rule tasks").

The workflow cannot read the app database, so the token first waits while the worker's
``shenpi-resolve-decision`` activity finds the DMN file the binding names, as a call activity
finds its process. That activity's result, the decision plan, is in history: a replay evaluates
the same table whatever was deployed since. The evaluation itself runs here, deterministically.
A decision that is not deployed is a ``decision_failed`` incident, a rule that cannot decide
(two rules of a UNIQUE table) an ``expression_error``; a retry of either resolves the version
again, so deploying the DMN file, then retrying, is the fix.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from shenpi_core.contracts import ResolveDecisionInput, ResolveDecisionResult
from shenpi_core.decision_results import decision_variables
from shenpi_core.decisions import DecisionError, evaluate_decision
from shenpi_core.expressions import ExpressionError
from shenpi_core.process_plan import BusinessRuleTask
from workflows.tokens import Token

if TYPE_CHECKING:
    from workflows.engine import Engine


def enter(engine: Engine, token: Token, node: BusinessRuleTask) -> None:
    inputs = engine.mapped(node.inputs, engine.view(token))
    if inputs:  # the task's local variables: the decision and the output mappings see them
        engine.hold_locals(token, inputs)
    arg = ResolveDecisionInput(
        decision_id=node.decision_id,
        binding=node.binding,
        version=node.version,
        caller_process_id=engine.index.plan.process_id,
        caller_version=engine.state.version,
    )
    engine.wait(token)
    engine.waits.start_decision(token.id, arg)


def resolved(engine: Engine, token_id: str, found: ResolveDecisionResult) -> None:
    token = engine.token(token_id)
    if token is None or token.state != "wait":
        return
    node = engine.index.node(token.node_id)
    assert isinstance(node, BusinessRuleTask)
    scope = {**engine.view(token), **(token.locals or {})}
    decision = found.plan.decision(node.decision_id)
    try:
        if decision is None:  # the activity found it there: only a hand-made result lacks it
            raise DecisionError(f"{found.plan.id!r} holds no decision {node.decision_id!r}")
        value = evaluate_decision(found.plan, node.decision_id, scope)
        values = decision_variables(decision, value, node.mapping, node.result_variable)
        if node.outputs:  # over the task's scope and its result, as a service task's
            values = engine.mapped(node.outputs, {**scope, **values})
    except ExpressionError as err:
        engine.incident(token, "expression_error", err.message)
        return
    engine.assign(token, values)
    details = {"decision_id": node.decision_id, "drg_id": found.plan.id, "version": found.version}
    engine.record("decision_evaluated", node.id, details=details)
    engine.leave_activity(token)


def failed(engine: Engine, token_id: str, message: str) -> None:
    token = engine.token(token_id)
    if token is not None and token.state == "wait":
        engine.incident(token, "decision_failed", message)
