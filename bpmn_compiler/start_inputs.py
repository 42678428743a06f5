"""The variables a start must bring: those the plan's expressions read that nothing in the
process writes (a task's result or outputs, a decision's declared variables, the initiator
variable, the engine's own).

A start without one of them runs into an ``unknown variable`` incident as soon as a token reaches
the expression; a caller that cannot be asked later (a chat message) checks before starting. Reads
guarded by ``is defined(x)`` do not count, nor what output mappings read (the task's result).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from shenpi_core.process_plan import (
    DeclaredVariable,
    Expression,
    ParameterMapping,
    ProcessPlan,
    is_engine_variable,
)

# Multi-instance counters, set by the engine while a completion condition is evaluated.
_LOOP_PREFIX = "nrOf"
# Fields that name a variable the engine writes (the initiator, a result, the loop element).
_WRITING_FIELDS = ("element_variable", "result_variable", "initiator_variable")


def start_inputs(plan: ProcessPlan) -> list[str]:
    """The names, sorted, that a start's variables must hold for the process to run."""
    read: set[str] = set()
    written: set[str] = set()
    _walk(plan, in_outputs=False, read=read, written=written)
    return sorted(
        name
        for name in read - written
        if not is_engine_variable(name) and not name.startswith(_LOOP_PREFIX)
    )


def _walk(value: Any, *, in_outputs: bool, read: set[str], written: set[str]) -> None:
    if isinstance(value, Expression):
        if not in_outputs:
            read.update(_reads(value.ast))
    elif isinstance(value, ParameterMapping):
        written.add(value.target)
        if not in_outputs:
            read.update(_reads(value.source.ast))
    elif isinstance(value, DeclaredVariable):
        written.add(value.name)
    elif isinstance(value, BaseModel):
        for name in type(value).model_fields:
            field = getattr(value, name)
            if name in _WRITING_FIELDS and isinstance(field, str):
                written.add(field)
            else:
                outputs = in_outputs or name == "outputs"
                _walk(field, in_outputs=outputs, read=read, written=written)
    elif isinstance(value, tuple | list):
        for item in value:
            _walk(item, in_outputs=in_outputs, read=read, written=written)


def _reads(ast: Any, guarded: frozenset[str] = frozenset()) -> set[str]:
    """The first segment of each variable path ``ast`` reads, but not under ``is_defined(x)``,
    nor ``x`` beside an ``is_defined(x)`` in an ``and`` (``is_defined(x) && x != null``)."""
    if isinstance(ast, list):
        return {name for item in ast for name in _reads(item, guarded)}
    if not isinstance(ast, dict):
        return set()
    if ast.get("call") == "is_defined":
        return set()
    if "feel" in ast:
        return _feel_reads(ast, guarded)
    if "var" in ast:
        path = ast["var"]
        first = str(path[0]) if isinstance(path, list) and path else None
        return {first} if first is not None and first not in guarded else set()
    args = ast.get("args", [])
    if ast.get("op") == "and" and isinstance(args, list):
        checked = {
            name
            for arg in args
            if isinstance(arg, dict) and arg.get("call") == "is_defined"
            for name in _paths(arg.get("args", []))
        }
        guarded = guarded | checked
    return _reads(args, guarded)


def _paths(args: Any) -> set[str]:
    return {
        str(a["var"][0])
        for a in args
        if isinstance(a, dict) and isinstance(a.get("var"), list) and a["var"]
    }


def _feel_reads(ast: dict[str, Any], guarded: frozenset[str]) -> set[str]:
    """FEEL's reads: names not bound by an iteration, a context entry or a filter's item."""
    kind, args = ast.get("feel"), ast.get("args", [])
    if not isinstance(args, list):
        return set()
    if kind == "name":
        name = str(ast.get("v"))
        return set() if name in guarded or name == "?" else {name}
    if kind == "call" and ast.get("v") == "is defined":
        return set()
    if kind in ("for", "some", "every"):
        bound = guarded | frozenset(str(v) for v in ast.get("vars", []))
        return _reads(args[:-1], guarded) | _reads(args[-1:], bound)
    if kind == "filter":  # the condition may name the item's fields: only the list counts
        return _reads(args[:1], guarded)
    if kind == "context":
        return _reads(args, guarded | frozenset(str(k) for k in ast.get("keys", [])))
    if kind == "and":
        checked = {
            str(a["args"][0]["v"])
            for a in args
            if isinstance(a, dict)
            and a.get("feel") == "call"
            and a.get("v") == "is defined"
            and isinstance(a["args"][0], dict)
            and a["args"][0].get("feel") == "name"
        }
        guarded = guarded | checked
    return _reads(args, guarded)
