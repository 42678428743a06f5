"""Evaluate the FEEL AST (``feel_parser``) with FEEL's semantics. Runs in the workflow sandbox.

Pure and deterministic: standard library only, no parsing of expressions, no I/O, no clock, and
bounded: every node evaluated counts against ``MAX_FEEL_STEPS`` and every list built against
``MAX_FEEL_LIST_ITEMS``, so a hostile expression ends in an ``ExpressionError`` (an incident), not
in a workflow task that never yields. Everything else FEEL calls an error is null, as the spec says:
a missing variable, a comparison of a number with a string, a division by zero.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Mapping
from decimal import Decimal
from typing import Any

from shenpi_core import feel_arith, feel_builtins
from shenpi_core.expression_errors import ExpressionError
from shenpi_core.feel_json import to_json
from shenpi_core.feel_temporal import parse_any, seconds
from shenpi_core.feel_values import CTX, Function, Range, YearMonth, compare, equal, from_json
from shenpi_core.limits import MAX_FEEL_LIST_ITEMS, MAX_FEEL_STEPS

__all__ = ["MISSING", "Scope", "evaluate_feel", "test_input"]

MISSING = object()


class Scope:
    """Names visible to an expression: a frame of values over its parent's.

    The root frame holds the variables as JSON; a variable is turned into FEEL when it is first
    read, and kept (the evaluator never changes a value in place), so a loop that reads a large
    variable converts it once.
    """

    __slots__ = ("_converted", "_json", "_parent", "_values", "budget")

    def __init__(
        self,
        values: Mapping[str, Any],
        parent: Scope | None = None,
        *,
        json: bool = False,
        functions: Mapping[str, Callable[..., Any]] | None = None,
    ) -> None:
        self._values = values
        self._parent = parent
        self._json = json
        self._converted: dict[str, Any] = {}
        self.budget: list[Any] = parent.budget if parent else [0, functions or {}]

    def child(self, values: Mapping[str, Any]) -> Scope:
        return Scope(values, self)

    def get(self, name: str) -> Any:
        scope: Scope | None = self
        while scope is not None:
            if name in scope._values:
                if not scope._json:
                    return scope._values[name]
                if name not in scope._converted:
                    scope._converted[name] = from_json(scope._values[name])
                return scope._converted[name]
            scope = scope._parent
        return MISSING

    def tick(self, cost: int = 1) -> None:
        """Count ``cost`` steps: one a node, and one an item for work over a whole list."""
        self.budget[0] += cost
        if self.budget[0] > MAX_FEEL_STEPS:
            raise ExpressionError(f"expression took more than {MAX_FEEL_STEPS} steps")


def evaluate_feel(ast: Any, scope: Scope) -> Any:
    """Evaluate one FEEL node in ``scope``; the value is a FEEL value (decimals, dates)."""
    scope.tick()
    if not isinstance(ast, Mapping):
        raise ExpressionError(f"malformed FEEL node {ast!r}")
    if "lit" in ast:
        return ast["lit"]
    if "call" in ast:
        return _directory(ast, scope)
    handler = _NODES.get(ast.get("feel", ""))
    if handler is None:
        raise ExpressionError(f"malformed FEEL node {ast!r}")
    return handler(ast, ast.get("args", []), scope)


def _directory(ast: Mapping[str, Any], scope: Scope) -> Any:
    """A directory lookup (``manager(x)``): run by the activity, which passes the functions."""
    fn = scope.budget[1].get(ast["call"])
    if fn is None:
        raise ExpressionError(f"{ast['call']}() needs the directory")
    return from_json(fn(*[to_json(evaluate_feel(a, scope)) for a in ast["args"]]))


def _bounded(items: list[Any]) -> list[Any]:
    if len(items) > MAX_FEEL_LIST_ITEMS:
        raise ExpressionError(f"a list of more than {MAX_FEEL_LIST_ITEMS} items")
    return items


# --- names, paths, filters ----------------------------------------------------------------------
def _name(ast: Mapping[str, Any], _: list[Any], scope: Scope) -> Any:
    name = ast["v"]
    value = scope.get(name)
    if value is MISSING and "." in name:
        # A DMN model may define `Person.Gender` as a name; where it is not one, it is a path.
        first, *rest = name.split(".")
        value = scope.get(first)
        for key in rest:
            value = None if value is MISSING else _step(value, key)
    return None if value is MISSING else value


_PROPERTIES: dict[str, Callable[[Any], Any]] = {
    "year": lambda v: Decimal(v.year),
    "month": lambda v: Decimal(v.month),
    "day": lambda v: Decimal(v.day),
    "weekday": lambda v: Decimal(v.isoweekday()),
    "hour": lambda v: Decimal(v.hour),
    "minute": lambda v: Decimal(v.minute),
    "second": lambda v: Decimal(v.second),
    "time offset": lambda v: v.utcoffset(),
    "timezone": lambda v: None,
}


def _property(value: Any, key: str) -> Any:
    if isinstance(value, dt.timedelta):
        total = int(seconds(abs(value)))
        sign = -1 if value < dt.timedelta(0) else 1
        parts = {
            "days": total // 86400,
            "hours": total % 86400 // 3600,
            "minutes": total % 3600 // 60,
            "seconds": total % 60,
        }
        return Decimal(sign * parts[key]) if key in parts else None
    if isinstance(value, YearMonth):
        sign = -1 if value.months < 0 else 1
        parts = {"years": abs(value.months) // 12, "months": abs(value.months) % 12}
        return Decimal(sign * parts[key]) if key in parts else None
    fn = _PROPERTIES.get(key)
    try:
        return None if fn is None else fn(value)
    except AttributeError:  # `hour` of a date
        return None


def _path(ast: Mapping[str, Any], args: list[Any], scope: Scope) -> Any:
    base = evaluate_feel(args[0], scope)
    scope.tick(_size(base) if isinstance(base, list) else 0)  # a path maps over a list
    return _step(base, ast["v"])


def _step(value: Any, key: str) -> Any:
    if isinstance(value, Mapping):
        return value.get(key)
    if isinstance(value, list):
        return [_step(item, key) for item in value]
    if isinstance(value, dt.date | dt.time | dt.timedelta | YearMonth):
        return _property(value, key)
    if isinstance(value, Range):
        parts = {
            "start": value.low,
            "end": value.high,
            "start included": value.low_closed,
            "end included": value.high_closed,
        }
        return parts.get(key)
    return None


def _filter(_: Mapping[str, Any], args: list[Any], scope: Scope) -> Any:
    base = evaluate_feel(args[0], scope)
    if base is None:
        return None
    items = base if isinstance(base, list) else [base]
    index = evaluate_feel(args[1], scope.child({"item": None}))
    if isinstance(index, Decimal):
        return _at(items, index)
    kept = []
    for item in items:
        frame = {"item": item}
        if isinstance(item, Mapping):
            frame.update(item)  # a context's own `item` entry wins (DMN 1.3 §10.3.2.5)
        if evaluate_feel(args[1], scope.child(frame)) is True:
            kept.append(item)
    return kept


def _at(items: list[Any], index: Decimal) -> Any:
    if index != index.to_integral_value() or index == 0 or abs(index) > len(items):
        return None
    i = int(index)
    return items[i - 1] if i > 0 else items[i]


# --- literals and constructors ------------------------------------------------------------------
def _num(ast: Mapping[str, Any], _: list[Any], __: Scope) -> Decimal:
    return CTX.create_decimal(ast["v"])


def _temporal(ast: Mapping[str, Any], _: list[Any], __: Scope) -> Any:
    return parse_any(ast["v"])


def _list(_: Mapping[str, Any], args: list[Any], scope: Scope) -> list[Any]:
    return _bounded([evaluate_feel(a, scope) for a in args])


def _context(ast: Mapping[str, Any], args: list[Any], scope: Scope) -> dict[str, Any]:
    entries: dict[str, Any] = {}
    inner = scope.child(entries)  # later entries see earlier ones
    for key, value in zip(ast["keys"], args, strict=True):
        entries[key] = evaluate_feel(value, inner)
    return entries


def _range(ast: Mapping[str, Any], args: list[Any], scope: Scope) -> Any:
    low, high = evaluate_feel(args[0], scope), evaluate_feel(args[1], scope)
    brackets = ast["v"]
    return Range(low, high, brackets[0] == "[", brackets[1] == "]")


def _range_to(ast: Mapping[str, Any], args: list[Any], scope: Scope) -> Range:
    """``(< 10)``: the values below 10, as a range with one end."""
    bound, op = evaluate_feel(args[0], scope), ast["v"]
    if op in ("lt", "le"):
        return Range(None, bound, False, op == "le")
    return Range(bound, None, op == "ge", False)


def _invalid(_: Mapping[str, Any], __: list[Any], ___: Scope) -> None:
    """A call the compiler found invalid (wrong arguments): null, as DMN says."""
    return None


# --- logic and comparison -----------------------------------------------------------------------
def _and(_: Mapping[str, Any], args: list[Any], scope: Scope) -> bool | None:
    left = evaluate_feel(args[0], scope)
    if left is False:
        return False
    right = evaluate_feel(args[1], scope)
    if right is False:
        return False
    return True if left is True and right is True else None


def _or(_: Mapping[str, Any], args: list[Any], scope: Scope) -> bool | None:
    left = evaluate_feel(args[0], scope)
    if left is True:
        return True
    right = evaluate_feel(args[1], scope)
    if right is True:
        return True
    return False if left is False and right is False else None


def _comparison(test: Callable[[int], bool]) -> Callable[..., Any]:
    def run(_: Mapping[str, Any], args: list[Any], scope: Scope) -> bool | None:
        order = compare(evaluate_feel(args[0], scope), evaluate_feel(args[1], scope))
        return None if order is None else test(order)

    return run


def _eq(_: Mapping[str, Any], args: list[Any], scope: Scope) -> bool | None:
    left, right = evaluate_feel(args[0], scope), evaluate_feel(args[1], scope)
    scope.tick(_size(left) if isinstance(left, list) else 0)
    return equal(left, right)


def _ne(node: Mapping[str, Any], args: list[Any], scope: Scope) -> bool | None:
    same = _eq(node, args, scope)
    return None if same is None else not same


def _between(_: Mapping[str, Any], args: list[Any], scope: Scope) -> bool | None:
    value, low, high = (evaluate_feel(a, scope) for a in args)
    above, below = compare(value, low), compare(value, high)
    if above is None or below is None:
        return None
    return above >= 0 and below <= 0


def in_range(value: Any, span: Range) -> bool | None:
    checks = []
    if span.low is not None:
        order = compare(value, span.low)
        checks.append(None if order is None else (order >= 0 if span.low_closed else order > 0))
    if span.high is not None:
        order = compare(value, span.high)
        checks.append(None if order is None else (order <= 0 if span.high_closed else order < 0))
    if any(c is False for c in checks):
        return False
    return None if any(c is None for c in checks) else True


_ORDER_TESTS: dict[str, Callable[[int], bool]] = {
    "lt": lambda o: o < 0,
    "le": lambda o: o <= 0,
    "gt": lambda o: o > 0,
    "ge": lambda o: o >= 0,
}


def test_input(ast: Any, value: Any, scope: Scope) -> bool | None:
    """Whether ``value`` passes a unary test node (a DMN input entry, the right of ``in``)."""
    scope.tick()
    kind = ast.get("feel")
    args = ast.get("args", [])
    if kind == "ut_any":
        return True
    if kind in ("ut_or", "ut_not"):
        results = [test_input(t, value, scope) for t in args]
        hit = any(r is True for r in results)
        return hit if kind == "ut_or" else not hit
    if kind == "ut":
        bound = evaluate_feel(args[0], scope)
        if ast["v"] in ("eq", "ne"):
            same = equal(value, bound)
            return same if ast["v"] == "eq" or same is None else not same
        order = compare(value, bound)
        return None if order is None else _ORDER_TESTS[ast["v"]](order)
    if kind == "ut_expr":
        return _expression_test(ast, value, scope)
    raise ExpressionError(f"malformed unary test {ast!r}")


def _expression_test(ast: Mapping[str, Any], value: Any, scope: Scope) -> bool | None:
    result = evaluate_feel(ast["args"][0], scope.child({"?": value}))
    scope.tick(_size(result) if isinstance(result, list) else 0)
    if isinstance(result, Range):
        return in_range(value, result)
    if isinstance(result, bool) and (ast.get("q") or not isinstance(value, bool)):
        return result
    if isinstance(result, list):
        if any(_item_test(value, item) is True for item in result):
            return True
        if not isinstance(value, list):
            return False
    return equal(value, result)


def _item_test(value: Any, item: Any) -> bool | None:
    """One item of a list used as a test: a range tests membership, a value equality."""
    return in_range(value, item) if isinstance(item, Range) else equal(value, item)


def _in(_: Mapping[str, Any], args: list[Any], scope: Scope) -> bool | None:
    value = evaluate_feel(args[0], scope)
    results = [test_input(t, value, scope) for t in args[1:]]
    if any(r is True for r in results):
        return True
    return None if any(r is None for r in results) else False


def _instance_of(ast: Mapping[str, Any], args: list[Any], scope: Scope) -> bool:
    return feel_builtins.type_matches(evaluate_feel(args[0], scope), ast["v"])


# --- arithmetic ---------------------------------------------------------------------------------
def _binary(fn: Callable[[Any, Any], Any]) -> Callable[..., Any]:
    def run(_: Mapping[str, Any], args: list[Any], scope: Scope) -> Any:
        return fn(evaluate_feel(args[0], scope), evaluate_feel(args[1], scope))

    return run


def _neg(_: Mapping[str, Any], args: list[Any], scope: Scope) -> Any:
    return feel_arith.negate(evaluate_feel(args[0], scope))


# --- control ------------------------------------------------------------------------------------
def _if(_: Mapping[str, Any], args: list[Any], scope: Scope) -> Any:
    return evaluate_feel(args[1] if evaluate_feel(args[0], scope) is True else args[2], scope)


def _iterate(sources: list[Any], names: list[str], scope: Scope) -> Iterator[Scope]:
    """Every combination of the iteration contexts, the first varying slowest."""
    if not sources:
        yield scope
        return
    source = sources[0]
    if source.get("feel") == "span":
        items: Any = _span(
            evaluate_feel(source["args"][0], scope), evaluate_feel(source["args"][1], scope)
        )
    else:
        items = evaluate_feel(source, scope)
        items = items if isinstance(items, list) else [items]
    for item in items:
        yield from _iterate(sources[1:], names[1:], scope.child({names[0]: item}))


def _span(low: Any, high: Any) -> list[Decimal]:
    if not (isinstance(low, Decimal) and isinstance(high, Decimal)):
        raise ExpressionError("a for range 'a..b' needs two integers")
    a, b = int(low), int(high)
    if abs(b - a) + 1 > MAX_FEEL_LIST_ITEMS:
        raise ExpressionError(f"a range of more than {MAX_FEEL_LIST_ITEMS} items")
    step = 1 if b >= a else -1
    return [Decimal(i) for i in range(a, b + step, step)]


def _for(ast: Mapping[str, Any], args: list[Any], scope: Scope) -> list[Any]:
    results: list[Any] = []
    for inner in _iterate(list(args[:-1]), list(ast["vars"]), scope):
        results.append(evaluate_feel(args[-1], inner.child({"partial": results})))
        _bounded(results)
    return results


def _quantified(every: bool) -> Callable[..., Any]:
    def run(ast: Mapping[str, Any], args: list[Any], scope: Scope) -> bool | None:
        results = [
            evaluate_feel(args[-1], inner)
            for inner in _iterate(list(args[:-1]), list(ast["vars"]), scope)
        ]
        if every:
            if any(r is False for r in results):
                return False
            return True if all(r is True for r in results) else None
        if any(r is True for r in results):
            return True
        return False if all(r is False for r in results) else None

    return run


# --- functions ----------------------------------------------------------------------------------
def _call(ast: Mapping[str, Any], args: list[Any], scope: Scope) -> Any:
    values = [evaluate_feel(a, scope) for a in args]
    scope.tick(sum(_size(v) for v in values))  # a built-in walks its lists and strings
    return feel_builtins.call(ast["v"], values)


def _size(value: Any) -> int:
    """What a built-in's work over ``value`` costs, in steps."""
    if isinstance(value, list):
        return len(value)
    return len(value) // 64 if isinstance(value, str) else 0


def _invoke(ast: Mapping[str, Any], args: list[Any], scope: Scope) -> Any:
    fn = scope.get(ast["v"])
    if not isinstance(fn, Function):
        return None
    values = [evaluate_feel(a, scope) for a in args]
    if "names" in ast:
        given = dict(zip(ast["names"], values, strict=True))
        if set(given) - set(fn.params):
            return None
        values = [given.get(p) for p in fn.params]
    return fn.call(values)


Handler = Callable[[Mapping[str, Any], list[Any], Scope], Any]
_NODES: dict[str, Handler] = {
    "num": _num,
    "name": _name,
    "path": _path,
    "filter": _filter,
    "temporal": _temporal,
    "list": _list,
    "context": _context,
    "range": _range,
    "range_to": _range_to,
    "invalid": _invalid,
    "and": _and,
    "or": _or,
    "eq": _eq,
    "ne": _ne,
    "lt": _comparison(lambda o: o < 0),
    "le": _comparison(lambda o: o <= 0),
    "gt": _comparison(lambda o: o > 0),
    "ge": _comparison(lambda o: o >= 0),
    "between": _between,
    "in": _in,
    "instance_of": _instance_of,
    "add": _binary(feel_arith.add),
    "sub": _binary(feel_arith.subtract),
    "mul": _binary(feel_arith.multiply),
    "div": _binary(feel_arith.divide),
    "pow": _binary(feel_arith.power),
    "neg": _neg,
    "if": _if,
    "for": _for,
    "some": _quantified(every=False),
    "every": _quantified(every=True),
    "call": _call,
    "invoke": _invoke,
}
