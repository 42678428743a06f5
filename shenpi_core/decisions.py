"""Evaluate a decision of a ``DecisionPlan`` (DMN 1.3) against variables. Runs in the workflow.

Pure and deterministic like the FEEL evaluator under it: required decisions are evaluated first
(each once), business knowledge models become FEEL functions, decision tables apply their hit
policy (``decision_tables``). Whatever the DMN spec calls an error (two rules of a UNIQUE table
matching, an unknown decision) is a ``DecisionError``: an incident for the process, never a guess.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from shenpi_core.decision_plan import (
    ContextLogic,
    Decision,
    DecisionPlan,
    InvocationLogic,
    Knowledge,
    ListLogic,
    LiteralLogic,
    Logic,
    TableLogic,
)
from shenpi_core.decision_tables import DecisionError, evaluate_table
from shenpi_core.feel_eval import MISSING, Scope, evaluate_feel
from shenpi_core.feel_json import to_json
from shenpi_core.feel_values import Function

__all__ = ["DecisionError", "evaluate_decision", "evaluate_decision_value"]


def evaluate_decision(plan: DecisionPlan, ref: str, variables: Mapping[str, Any]) -> Any:
    """The result of decision ``ref`` (id or name) as JSON, for a variable of the process."""
    return to_json(evaluate_decision_value(plan, ref, variables, json=True))


def evaluate_decision_value(
    plan: DecisionPlan, ref: str, variables: Mapping[str, Any], *, json: bool = False
) -> Any:
    """The result as a FEEL value; ``json``: the variables are JSON (else FEEL values)."""
    decision = plan.decision(ref)
    if decision is None:
        raise DecisionError(f"no decision {ref!r} in {plan.id!r}")
    root = Scope(variables, json=json)
    try:
        return _Run(plan, root).decision(decision, ())
    except KeyError as err:  # a plan the compiler did not make: a requirement that is not there
        raise DecisionError(
            f"{plan.id!r} requires {err.args[0]!r}, which it does not hold"
        ) from None
    except RecursionError:
        raise DecisionError(f"the requirements of {ref!r} nest too deeply") from None


class _Run:
    """One evaluation: each required decision is evaluated once, whoever requires it."""

    def __init__(self, plan: DecisionPlan, root: Scope) -> None:
        self.plan = plan
        self.root = root
        self.results: dict[str, Any] = {}
        self.decisions = {d.id: d for d in plan.decisions}
        self.inputs = {i.id: i for i in plan.inputs}
        self.knowledge = {k.id: k for k in plan.knowledge}

    def decision(self, decision: Decision, path: tuple[str, ...]) -> Any:
        if decision.id in self.results:
            return self.results[decision.id]
        if decision.id in path:  # the compiler refuses cycles; a hand-made plan may not
            raise DecisionError(f"decision {decision.name!r} requires itself")
        frame: dict[str, Any] = {}
        for input_id in decision.requires_inputs:
            data = self.inputs[input_id]
            value = self.root.get(data.name)
            frame[data.name] = None if value is MISSING else value
        for decision_id in decision.requires_decisions:
            required = self.decisions[decision_id]
            frame[required.name] = self.decision(required, (*path, decision.id))
        self._functions(decision.requires_knowledge, frame)
        if decision.logic is None:
            raise DecisionError(f"decision {decision.name!r} has no logic to evaluate")
        result = _as_declared(evaluate_logic(decision.logic, self.root.child(frame)), decision)
        self.results[decision.id] = result
        return result

    def _functions(self, ids: tuple[str, ...], frame: dict[str, Any]) -> None:
        for knowledge_id in ids:
            model = self.knowledge[knowledge_id]
            frame[model.name] = self._function(model)

    def _function(self, model: Knowledge) -> Function:
        def call(args: list[Any]) -> Any:
            frame = dict(zip(model.params, args, strict=False))
            self._functions(model.requires_knowledge, frame)
            # A function sees its parameters and what it requires over the variables, not the
            # names of the decision that calls it.
            return evaluate_logic(model.logic, self.root.child(frame))

        return Function(model.name, model.params, call)


_SCALAR_TYPES = frozenset(
    {"string", "number", "boolean", "date", "time", "dateTime", "date and time", "duration"}
)


def _as_declared(value: Any, decision: Decision) -> Any:
    """A singleton list where the decision declares a single value is that value (DMN 1.3
    §10.3.2.9.4: the spec's only implicit conversion that changes a result's shape)."""
    if decision.type_ref in _SCALAR_TYPES and isinstance(value, list) and len(value) == 1:
        return value[0]
    return value


def evaluate_logic(logic: Logic, scope: Scope) -> Any:
    """One boxed expression (literal, table, context, invocation, list) in ``scope``."""
    if isinstance(logic, LiteralLogic):
        return evaluate_feel(logic.ast, scope)
    if isinstance(logic, TableLogic):
        return evaluate_table(logic, scope)
    if isinstance(logic, ContextLogic):
        entries: dict[str, Any] = {}
        inner = scope.child(entries)
        for entry in logic.entries:
            value = evaluate_logic(entry.logic, inner)
            if entry.name is None:
                return value
            entries[entry.name] = value
        return entries
    if isinstance(logic, InvocationLogic):
        fn = scope.get(logic.function)
        if not isinstance(fn, Function):
            raise DecisionError(f"{logic.function!r} is not a business knowledge model")
        given = {
            b.name: None if b.logic is None else evaluate_logic(b.logic, scope)
            for b in logic.bindings
        }
        return fn.call([given.get(p) for p in fn.params])
    if isinstance(logic, ListLogic):
        return [evaluate_logic(item, scope) for item in logic.items]
    raise DecisionError(f"unknown logic {logic!r}")
