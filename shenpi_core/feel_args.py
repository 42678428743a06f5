"""Arguments of FEEL built-ins: what each accepts, and the null an invalid one makes.

A built-in called with an argument of the wrong type gives null (DMN 1.3 §10.3.4); the helpers
raise ``Invalid``, which ``feel_builtins.call`` turns into ``None``.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from shenpi_core.limits import MAX_FEEL_LIST_ITEMS, MAX_FEEL_STRING_LENGTH

# A built-in: (function, fewest arguments, most (None: any number), parameter names by overload).
Entry = tuple[Callable[..., Any], int, int | None, tuple[tuple[str, ...], ...]]


class Invalid(Exception):
    """An argument FEEL does not accept: the call's value is null."""


def check(ok: bool) -> None:
    if not ok:
        raise Invalid


def one(value: Any) -> Any:
    """A singleton list where one value is wanted is that value (DMN 1.3 §10.3.2.9.4)."""
    return value[0] if isinstance(value, list) and len(value) == 1 else value


def text(value: Any) -> str:
    value = one(value)
    check(isinstance(value, str))
    return str(value)


def num(value: Any) -> Decimal:
    value = one(value)
    check(isinstance(value, Decimal))
    return value  # type: ignore[no-any-return]


def integer(value: Any) -> int:
    number = num(value)
    check(number == number.to_integral_value())
    return int(number)


def listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def items(args: tuple[Any, ...]) -> list[Any]:
    """``max([1, 2])`` and ``max(1, 2)`` alike."""
    return list(args[0]) if len(args) == 1 and isinstance(args[0], list) else list(args)


def bounded(value: Any) -> Any:
    if isinstance(value, str):
        check(len(value) <= MAX_FEEL_STRING_LENGTH)
    if isinstance(value, list):
        check(len(value) <= MAX_FEEL_LIST_ITEMS)
    return value
