"""Evaluate the compiled expression AST (see ``shenpi_core.process_plan``) against variables.

Runs inside the Temporal workflow sandbox, so it is pure and deterministic: standard library only,
no parsing, no I/O, no clock. Every failure (unknown variable, wrong type, unknown operator or
function) is an ``ExpressionError`` so the interpreter can raise one incident, never a Python crash.
Types are strict on purpose: JUEL would coerce ``"5" < 10``, but silently coerced approval
routing is a worse failure than an incident a person can see and fix.
"""

from __future__ import annotations

import copy
import json
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from shenpi_core.expression_errors import ExpressionError, UndefinedVariableError
from shenpi_core.feel_eval import Scope, evaluate_feel
from shenpi_core.feel_json import to_json

__all__ = [
    "DIRECTORY_FUNCTIONS",
    "ExpressionError",
    "UndefinedVariableError",
    "evaluate",
    "evaluate_bool",
    "is_feel",
    "uses_directory",
]

# Functions that ask the directory (I/O): the compiler accepts them, but the workflow never
# evaluates them itself; an expression calling one runs in the ``shenpi-directory`` activity,
# which passes the lookups as ``functions``.
DIRECTORY_FUNCTIONS = frozenset({"manager", "members", "dept_leader", "department"})


@dataclass(frozen=True, slots=True)
class _Env:
    """What an evaluation sees: the variables and the caller's extra functions."""

    variables: Mapping[str, Any]
    functions: Mapping[str, Callable[..., Any]]


_NO_FUNCTIONS: Mapping[str, Callable[..., Any]] = {}


def evaluate(
    ast: Any,
    variables: Mapping[str, Any],
    *,
    functions: Mapping[str, Callable[..., Any]] | None = None,
) -> Any:
    """Evaluate one AST node (and its children) against ``variables``.

    ``functions`` adds callables for ``{"call": ...}`` nodes (the directory lookups); built-in
    functions cannot be replaced, so a caller never changes what ``len`` means.
    """
    try:
        return _eval(ast, _Env(variables, functions or _NO_FUNCTIONS))
    except RecursionError:
        raise ExpressionError("expression nested too deeply") from None
    except (TypeError, ValueError, OverflowError, ZeroDivisionError) as err:
        # A safety net: every known case is checked above, but one incident beats a crash.
        raise ExpressionError(f"cannot evaluate: {err}") from None


def evaluate_bool(
    ast: Any,
    variables: Mapping[str, Any],
    *,
    functions: Mapping[str, Callable[..., Any]] | None = None,
) -> bool:
    """Evaluate a condition; anything but a boolean (null included) is an error, as in Zeebe."""
    value = evaluate(ast, variables, functions=functions)
    if value is None and is_feel(ast):
        return False  # FEEL: a condition that is null (`amount > 5` with no amount) is false
    if not isinstance(value, bool):
        raise ExpressionError(f"condition evaluated to {_kind(value)} {value!r}, not a boolean")
    return value


def is_feel(ast: Any) -> bool:
    """Whether ``ast`` was compiled from FEEL (so FEEL's null semantics apply to its result)."""
    return isinstance(ast, Mapping) and ast.get("op") == "feel"


def uses_directory(ast: Any) -> bool:
    """Whether the expression calls a directory function (so it must run in the activity)."""
    stack = [ast]
    while stack:
        node = stack.pop()
        # A compiled AST is dicts: they skip the Mapping ABC's slower check.
        if type(node) is not dict and not isinstance(node, Mapping):
            continue
        if node.get("call") in DIRECTORY_FUNCTIONS:
            return True
        args = node.get("args")
        if isinstance(args, list):
            stack.extend(args)
    return False


def _eval(ast: Any, env: _Env) -> Any:
    if not isinstance(ast, Mapping):
        raise ExpressionError(f"malformed expression node {ast!r}")
    if "lit" in ast:
        value = ast["lit"]
        # The plan is shared by every evaluation: never hand out its mutable literals.
        return copy.deepcopy(value) if isinstance(value, list | dict) else value
    if "var" in ast:
        return _lookup(ast["var"], env.variables)
    args = ast.get("args", [])
    if not isinstance(args, list):
        raise ExpressionError(f"malformed expression node {ast!r}")
    if "op" in ast:
        op = _OPERATORS.get(ast["op"])
        if op is None:
            raise ExpressionError(f"unknown operator {ast['op']!r}")
        return op(args, env)
    if "call" in ast:
        name = ast["call"]
        if name == "is_defined":  # looks at the variable, not its value
            return _is_defined(args, env)
        fn = _FUNCTIONS.get(name) or env.functions.get(name)
        if fn is None:
            if name in DIRECTORY_FUNCTIONS:
                raise ExpressionError(f"{name}() needs the directory")
            raise ExpressionError(f"unknown function {name!r}")
        return fn(*[_eval(a, env) for a in args])
    raise ExpressionError(f"malformed expression node {ast!r}")


def _lookup(path: Any, variables: Mapping[str, Any]) -> Any:
    if not isinstance(path, list) or not path:
        raise ExpressionError(f"malformed variable path {path!r}")
    value: Any = variables
    for depth, key in enumerate(path):
        if isinstance(value, Mapping) and key in value:
            value = value[key]
            continue
        name = ".".join(str(p) for p in path[: depth + 1])
        raise UndefinedVariableError(f"unknown variable {name!r}")
    return value


def _kind(value: Any) -> str:
    """The expression-language type name, with bool kept apart from numbers."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list | tuple):
        return "list"
    if isinstance(value, Mapping):
        return "context"
    return type(value).__name__


def _num(value: Any, what: str) -> int | float:
    if _kind(value) != "number":
        raise ExpressionError(f"{what} expects a number, got {_kind(value)} {value!r}")
    return value  # type: ignore[no-any-return]


def _str(value: Any, what: str) -> str:
    if not isinstance(value, str):
        raise ExpressionError(f"{what} expects a string, got {_kind(value)} {value!r}")
    return value


def _bool(value: Any, what: str) -> bool:
    if not isinstance(value, bool):
        raise ExpressionError(f"{what} expects a boolean, got {_kind(value)} {value!r}")
    return value


def _arity(args: list[Any], n: int, op: str) -> None:
    if len(args) != n:
        raise ExpressionError(f"operator {op!r} takes {n} operand(s), got {len(args)}")


# --- operators: each takes the unevaluated args, so and/or/cond/empty can short-circuit ---------

Operator = Callable[[list[Any], _Env], Any]


def _and(args: list[Any], v: _Env) -> bool:
    return all(_bool(_eval(a, v), "'and'") for a in args)


def _or(args: list[Any], v: _Env) -> bool:
    return any(_bool(_eval(a, v), "'or'") for a in args)


def _not(args: list[Any], v: _Env) -> bool:
    _arity(args, 1, "not")
    return not _bool(_eval(args[0], v), "'not'")


def _equal(left: Any, right: Any) -> bool:
    if left is None or right is None:
        return left is None and right is None
    if _kind(left) != _kind(right):
        raise ExpressionError(
            f"cannot compare {_kind(left)} {left!r} with {_kind(right)} {right!r}"
        )
    return bool(left == right)


def _ordered(name: str, test: Callable[[Any, Any], bool]) -> Operator:
    def run(args: list[Any], v: _Env) -> bool:
        _arity(args, 2, name)
        left, right = _eval(args[0], v), _eval(args[1], v)
        if _kind(left) != _kind(right) or _kind(left) not in ("number", "string"):
            raise ExpressionError(
                f"cannot order {_kind(left)} {left!r} and {_kind(right)} {right!r} with {name!r}"
            )
        return test(left, right)

    return run


def _binary(name: str, fn: Callable[[Any, Any], Any]) -> Operator:
    def run(args: list[Any], v: _Env) -> Any:
        _arity(args, 2, name)
        return fn(_eval(args[0], v), _eval(args[1], v))

    return run


def _add(left: Any, right: Any) -> Any:
    if _kind(left) == _kind(right) and _kind(left) in ("string", "list"):
        return list(left) + list(right) if _kind(left) == "list" else left + right
    return _num(left, "'+'") + _num(right, "'+'")


def _divide(left: Any, right: Any, *, modulo: bool = False) -> Any:
    a, b = _num(left, "'/'"), _num(right, "'/'")
    if b == 0:
        raise ExpressionError("division by zero")
    return a % b if modulo else a / b


def _negate(args: list[Any], v: _Env) -> int | float:
    _arity(args, 1, "neg")
    return -_num(_eval(args[0], v), "'-'")


def _membership(item: Any, container: Any) -> bool:
    if isinstance(container, str):
        return _str(item, "'in' on a string") in container
    if isinstance(container, list | tuple):
        return any(item == c and _kind(item) == _kind(c) for c in container)
    if isinstance(container, Mapping):
        return isinstance(item, str) and item in container
    raise ExpressionError(f"'in' expects a list, string or context, got {_kind(container)}")


def _empty(args: list[Any], v: _Env) -> bool:
    _arity(args, 1, "empty")
    try:
        value = _eval(args[0], v)
    except UndefinedVariableError:
        return True  # JUEL: `empty missingVar` is true
    return value is None or (isinstance(value, str | list | tuple | Mapping) and len(value) == 0)


def _cond(args: list[Any], v: _Env) -> Any:
    _arity(args, 3, "cond")
    return _eval(args[1] if _bool(_eval(args[0], v), "'?:'") else args[2], v)


def _index(container: Any, key: Any) -> Any:
    if isinstance(container, list | tuple) and _kind(key) == "number" and float(key).is_integer():
        i = int(key)
        if -len(container) <= i < len(container):
            return container[i]
        raise ExpressionError(f"index {i} out of range for a list of {len(container)}")
    if isinstance(container, Mapping) and isinstance(key, str):
        if key in container:
            return container[key]
        raise UndefinedVariableError(f"unknown key {key!r}")
    raise ExpressionError(f"cannot index {_kind(container)} with {_kind(key)} {key!r}")


_OPERATORS: dict[str, Operator] = {
    "and": _and,
    "or": _or,
    "not": _not,
    "eq": _binary("eq", _equal),
    "ne": _binary("ne", lambda a, b: not _equal(a, b)),
    "lt": _ordered("lt", lambda a, b: a < b),
    "le": _ordered("le", lambda a, b: a <= b),
    "gt": _ordered("gt", lambda a, b: a > b),
    "ge": _ordered("ge", lambda a, b: a >= b),
    "add": _binary("add", _add),
    "sub": _binary("sub", lambda a, b: _num(a, "'-'") - _num(b, "'-'")),
    "mul": _binary("mul", lambda a, b: _num(a, "'*'") * _num(b, "'*'")),
    "div": _binary("div", _divide),
    "mod": _binary("mod", lambda a, b: _divide(a, b, modulo=True)),
    "neg": _negate,
    "in": _binary("in", _membership),
    "empty": _empty,
    "cond": _cond,
    "index": _binary("index", _index),
    "list": lambda args, v: [_eval(a, v) for a in args],
    "feel": lambda args, v: _feel(args, v),
}


def _feel(args: list[Any], v: _Env) -> Any:
    """A FEEL expression (``feel_parser``): its own semantics inside, JSON at the boundary."""
    _arity(args, 1, "feel")
    scope = Scope(v.variables, json=True, functions=v.functions)
    return to_json(evaluate_feel(args[0], scope))


# --- whitelisted pure functions ------------------------------------------------------------------


def _is_defined(args: list[Any], v: _Env) -> bool:
    if len(args) != 1:
        raise ExpressionError("is_defined takes 1 argument")
    try:
        _eval(args[0], v)
    except UndefinedVariableError:
        return False
    return True


def _size(value: Any) -> int:
    if isinstance(value, str | list | tuple | Mapping):
        return len(value)
    raise ExpressionError(f"size expects a string, list or context, got {_kind(value)}")


def _string(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if _kind(value) == "number":
        return str(value)
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def _number(value: Any) -> int | float:
    if _kind(value) == "number":
        return value  # type: ignore[no-any-return]
    text = _str(value, "number()").strip()
    try:
        return int(text)
    except ValueError:
        pass
    try:
        result = float(text)
    except ValueError:
        raise ExpressionError(f"number() cannot convert {value!r}") from None
    if not math.isfinite(result):
        raise ExpressionError(f"number() cannot convert {value!r}")
    return result


def _numbers(args: tuple[Any, ...], name: str) -> list[int | float]:
    """FEEL style: ``sum([1, 2])`` and ``sum(1, 2)`` both work."""
    items = args[0] if len(args) == 1 and isinstance(args[0], list | tuple) else args
    return [_num(x, f"{name}()") for x in items]


def _extreme(name: str, pick: Callable[[list[int | float]], int | float]) -> Callable[..., Any]:
    def run(*args: Any) -> Any:
        items = _numbers(args, name)
        if not items:
            raise ExpressionError(f"{name}() of an empty list")
        return pick(items)

    return run


def _contains(container: Any, item: Any) -> bool:
    if not isinstance(container, str | list | tuple):
        raise ExpressionError(f"contains() expects a list or string, got {_kind(container)}")
    return _membership(item, container)


def _fixed(name: str, n: int, fn: Callable[..., Any]) -> Callable[..., Any]:
    def run(*args: Any) -> Any:
        if len(args) != n:
            raise ExpressionError(f"{name}() takes {n} argument(s), got {len(args)}")
        return fn(*args)

    return run


_FUNCTIONS: dict[str, Callable[..., Any]] = {
    "len": _fixed("len", 1, _size),
    "size": _fixed("size", 1, _size),
    "count": _fixed("count", 1, _size),
    "string_length": _fixed("string_length", 1, lambda s: len(_str(s, "string_length()"))),
    "contains": _fixed("contains", 2, _contains),
    "list_contains": _fixed("list_contains", 2, _contains),
    "lower": _fixed("lower", 1, lambda s: _str(s, "lower()").lower()),
    "upper": _fixed("upper", 1, lambda s: _str(s, "upper()").upper()),
    "trim": _fixed("trim", 1, lambda s: _str(s, "trim()").strip()),
    "string": _fixed("string", 1, _string),
    "number": _fixed("number", 1, _number),
    "not": _fixed("not", 1, lambda b: not _bool(b, "not()")),
    "sum": lambda *args: sum(_numbers(args, "sum")),
    "min": _extreme("min", min),
    "max": _extreme("max", max),
    "abs": _fixed("abs", 1, lambda x: abs(_num(x, "abs()"))),
    "floor": _fixed("floor", 1, lambda x: math.floor(_num(x, "floor()"))),
    "ceiling": _fixed("ceiling", 1, lambda x: math.ceil(_num(x, "ceiling()"))),
    "starts_with": _fixed(
        "starts_with", 2, lambda s, p: _str(s, "starts_with()").startswith(_str(p, "starts_with()"))
    ),
    "ends_with": _fixed(
        "ends_with", 2, lambda s, p: _str(s, "ends_with()").endswith(_str(p, "ends_with()"))
    ),
    "is_defined": _is_defined,  # dispatched specially in _eval
}

FUNCTION_NAMES = frozenset(_FUNCTIONS)
