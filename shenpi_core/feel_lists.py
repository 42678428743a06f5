"""FEEL list built-ins (DMN 1.3 §10.3.4.4); ``min``, ``sum`` and the like take a list or items."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from shenpi_core.feel_args import Entry, check, integer, items, listed, num
from shenpi_core.feel_values import CTX, compare, equal, kind
from shenpi_core.limits import MAX_FEEL_LIST_ITEMS


# --- lists ------------------------------------------------------------------------------------
def _contains_item(items: Any, item: Any) -> bool:
    return any(equal(v, item) is True for v in listed(items))


def _sorted(values: list[Any]) -> list[Any]:
    for v in values[1:]:
        check(compare(values[0], v) is not None)
    return sorted(values, key=_SortKey)


class _SortKey:
    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value

    def __lt__(self, other: _SortKey) -> bool:
        return compare(self.value, other.value) == -1


def _extreme(pick: int) -> Callable[..., Any]:
    def run(*args: Any) -> Any:
        values = items(args)
        if not values:
            return None
        best = values[0]
        for v in values[1:]:
            order = compare(v, best)
            check(order is not None)
            if order == pick:
                best = v
        return best

    return run


def _sum(*args: Any) -> Any:
    values = [num(v) for v in items(args)]
    total = Decimal(0)
    for v in values:
        total = CTX.add(total, v)
    return total if values else None


def _mean(*args: Any) -> Any:
    values = [num(v) for v in items(args)]
    check(bool(values))
    return CTX.divide(_sum(values), Decimal(len(values)))


def _product(*args: Any) -> Any:
    values = [num(v) for v in items(args)]
    check(bool(values))
    total = Decimal(1)
    for v in values:
        total = CTX.multiply(total, v)
    return total


def _median(*args: Any) -> Any:
    values = sorted(num(v) for v in items(args))
    if not values:
        return None
    mid = len(values) // 2
    if len(values) % 2:
        return values[mid]
    return CTX.divide(CTX.add(values[mid - 1], values[mid]), Decimal(2))


def _stddev(*args: Any) -> Any:
    """The sample standard deviation, in decimals (``statistics`` works in exact fractions,
    which grow with every item)."""
    values = [num(v) for v in items(args)]
    check(len(values) > 1)
    mean = _mean(values)
    squares = Decimal(0)
    for v in values:
        squares = CTX.add(squares, CTX.power(CTX.subtract(v, mean), 2))
    return CTX.divide(squares, Decimal(len(values) - 1)).sqrt(CTX)


def _truth(test: Callable[[list[Any]], bool | None], *args: Any) -> Any:
    values = items(args)
    return test(values)


def _all(values: list[Any]) -> bool | None:
    if any(v is False for v in values):
        return False
    return True if all(v is True for v in values) else None


def _any(values: list[Any]) -> bool | None:
    if any(v is True for v in values):
        return True
    return False if all(v is False for v in values) else None


def _position(items: list[Any], position: Any, *, insert: bool = False) -> int:
    p, size = integer(position), len(items) + (1 if insert else 0)
    check(p != 0 and -size <= p <= size)
    return p - 1 if p > 0 else len(items) + p


def _sublist(items: Any, start: Any, length: Any = None) -> list[Any]:
    values = listed(items)
    begin = _position(values, start)
    if length is None:
        return values[begin:]
    count = integer(length)
    check(count >= 0 and begin + count <= len(values))
    return values[begin : begin + count]


def _insert_before(items: Any, position: Any, item: Any) -> list[Any]:
    values = list(listed(items))
    values.insert(_position(values, position), item)
    return values


def _remove(items: Any, position: Any) -> list[Any]:
    values = list(listed(items))
    del values[_position(values, position)]
    return values


def _index_of(items: Any, match: Any) -> list[Decimal]:
    return [Decimal(i + 1) for i, v in enumerate(listed(items)) if equal(v, match) is True]


def _distinct(items: Any) -> list[Any]:
    """In order, without repeats; by key, so 10,000 items cost 10,000 steps, not 10,000²."""
    out: list[Any] = []
    seen: set[Any] = set()
    for v in listed(items):
        key = _key(v)
        if key is None:  # no key (a function): compare with what is kept
            if not _contains_item(out, v):
                out.append(v)
        elif key not in seen:
            seen.add(key)
            out.append(v)
    return out


def _key(value: Any) -> Any:
    """A hashable key equal for values FEEL calls equal (``1`` and ``1.0``; not ``1`` and
    ``true``), or ``None`` when there is none."""
    if isinstance(value, list):
        keys = [_key(v) for v in value]
        return None if None in keys else ("list", tuple(keys))
    if isinstance(value, dict):
        entries = [(k, _key(v)) for k, v in value.items()]
        return None if any(k is None for _, k in entries) else ("context", frozenset(entries))
    try:
        hash(value)
    except TypeError:
        return None
    return (kind(value), value)


def _flatten(items: Any) -> list[Any]:
    out: list[Any] = []
    stack = [iter(listed(items))]
    while stack:
        for v in stack[-1]:
            if isinstance(v, list):
                stack.append(iter(v))
                break
            out.append(v)
            check(len(out) <= MAX_FEEL_LIST_ITEMS)
        else:
            stack.pop()
    return out


FUNCTIONS: dict[str, Entry] = {
    "list contains": (_contains_item, 2, 2, (("list", "element"),)),
    "count": (lambda items: Decimal(len(listed(items))), 1, 1, (("list",),)),
    "min": (_extreme(-1), 1, None, (("list",),)),
    "max": (_extreme(1), 1, None, (("list",),)),
    "sum": (_sum, 1, None, (("list",),)),
    "mean": (_mean, 1, None, (("list",),)),
    "product": (_product, 1, None, (("list",),)),
    "median": (_median, 1, None, (("list",),)),
    "stddev": (_stddev, 1, None, (("list",),)),
    "all": (lambda *a: _truth(_all, *a), 1, None, (("list",),)),
    "any": (lambda *a: _truth(_any, *a), 1, None, (("list",),)),
    "sublist": (_sublist, 2, 3, (("list", "start position", "length"),)),
    "append": (lambda items, *new: [*listed(items), *new], 2, None, (("list", "item"),)),
    "concatenate": (lambda *ls: [v for x in ls for v in listed(x)], 1, None, (("list",),)),
    "insert before": (_insert_before, 3, 3, (("list", "position", "newItem"),)),
    "remove": (_remove, 2, 2, (("list", "position"),)),
    "reverse": (lambda items: list(reversed(listed(items))), 1, 1, (("list",),)),
    "index of": (_index_of, 2, 2, (("list", "match"),)),
    "union": (lambda *ls: _distinct([v for x in ls for v in listed(x)]), 1, None, (("list",),)),
    "distinct values": (_distinct, 1, 1, (("list",),)),
    "flatten": (_flatten, 1, 1, (("list",),)),
    "sort": (lambda items: _sorted(list(listed(items))), 1, 1, (("list",),)),
}
