"""A decision's result as the variables a business rule task writes (docs/dmn.md "Business rule
tasks"). Runs in the workflow: pure.

Zeebe keeps the result as DMN gives it (a table's single output a bare value, several outputs a
context, a multi-hit table a list). Camunda 7 and Flowable see *rule results* instead, each a map
of output name to value, and pick from them: Camunda by ``mapDecisionResult``, Flowable by how
many there are. ``evaluate_decision`` gives the DMN result, so the rule results are rebuilt from
it by the decision's logic.
"""

from __future__ import annotations

from typing import Any

from shenpi_core.decision_plan import Decision, TableLogic
from shenpi_core.decision_tables import DecisionError
from shenpi_core.process_plan import DecisionResultMapping

# Hit policies whose result is a list of the matched rules' outputs (without an aggregation).
MULTI_HIT = frozenset({"COLLECT", "RULE ORDER", "OUTPUT ORDER"})


def _multi_hit(decision: Decision) -> bool:
    logic = decision.logic
    return isinstance(logic, TableLogic) and logic.hit_policy in MULTI_HIT and not logic.aggregation


def rule_results(decision: Decision, value: Any) -> list[dict[str, Any]]:
    """Camunda's ``DmnDecisionResult``: one map per matched rule. An output without a name, and
    a decision that is not a table, are named after the decision."""
    logic = decision.logic
    if not isinstance(logic, TableLogic):
        return [{decision.name: value}]
    # A single hit, or an aggregation's one value: null when no rule matched.
    single = [] if value is None else [value]
    hits = list(value or []) if _multi_hit(decision) else single
    if len(logic.outputs) == 1:
        name = logic.outputs[0].name or decision.name
        return [{name: hit} for hit in hits]
    return [dict(hit) for hit in hits]


def _one_entry(result: dict[str, Any], mode: str) -> Any:
    if len(result) != 1:
        raise DecisionError(
            f"mapDecisionResult {mode} needs one output per rule result, got {sorted(result)}"
        )
    return next(iter(result.values()))


def _at_most_one(results: list[dict[str, Any]], mode: str) -> dict[str, Any] | None:
    if len(results) > 1:
        raise DecisionError(
            f"mapDecisionResult {mode} needs at most one rule result, got {len(results)}"
        )
    return results[0] if results else None


def mapped_result(decision: Decision, value: Any, mapping: DecisionResultMapping) -> Any:
    """The value a result variable receives (every mapping but ``flowable``)."""
    match mapping:
        case "value":
            return value
        case "result_list":
            return rule_results(decision, value)
        case "collect_entries":
            return [_one_entry(r, "collectEntries") for r in rule_results(decision, value)]
        case "single_result":
            return _at_most_one(rule_results(decision, value), "singleResult")
        case "single_entry":
            found = _at_most_one(rule_results(decision, value), "singleEntry")
            return None if found is None else _one_entry(found, "singleEntry")
        case "flowable":
            raise ValueError("a Flowable decision sets variables, not one result variable")


def decision_variables(
    decision: Decision, value: Any, mapping: DecisionResultMapping, result_variable: str | None
) -> dict[str, Any]:
    """What the task writes. Flowable: a single rule result's outputs as variables, several (or
    any of a multi-hit table) as a list under the decision's id; no match writes nothing.
    Otherwise the mapped result in ``result_variable``, or nothing without one."""
    if mapping == "flowable":
        results = rule_results(decision, value)
        if _multi_hit(decision) or len(results) > 1:
            return {decision.id: results}
        return dict(results[0]) if results else {}
    if result_variable is None:
        return {}
    return {result_variable: mapped_result(decision, value, mapping)}
