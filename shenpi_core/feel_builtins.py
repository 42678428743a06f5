"""The FEEL built-in functions (DMN 1.3 §10.3.4): pure, deterministic, bounded.

Each takes evaluated FEEL values and returns one. As the spec says, a call with arguments of the
wrong type gives null (``feel_args.Invalid`` inside, turned into ``None`` by ``call``), never an
exception: a DMN table or a FEEL condition sees null and its own rules decide. There is no
``now()`` or ``today()``: the parser refuses them, since a replayed workflow cannot read the clock.
The functions live by kind in ``feel_strings``, ``feel_lists``, ``feel_numbers`` and
``feel_dates``.
"""

from __future__ import annotations

from typing import Any

from shenpi_core import feel_dates, feel_lists, feel_numbers, feel_strings
from shenpi_core.feel_args import Entry, Invalid, bounded, check, text
from shenpi_core.feel_values import kind


# --- contexts ---------------------------------------------------------------------------------
def _get_value(context: Any, key: Any) -> Any:
    check(isinstance(context, dict))
    return context.get(text(key))


def _get_entries(context: Any) -> list[Any]:
    check(isinstance(context, dict))
    return [{"key": k, "value": v} for k, v in context.items()]


def _not(value: Any) -> Any:
    return (not value) if isinstance(value, bool) else None


# name -> (callable, minimum arguments, maximum (None: any number), parameter names by overload)

_TABLE: dict[str, Entry] = {
    **feel_strings.FUNCTIONS,
    **feel_lists.FUNCTIONS,
    **feel_numbers.FUNCTIONS,
    **feel_dates.FUNCTIONS,
    "not": (_not, 1, 1, (("negand",),)),
    "get value": (_get_value, 2, 2, (("m", "key"),)),
    "get entries": (_get_entries, 1, 1, (("m",),)),
    # Camunda 8's: false for a missing name and for null alike (FEEL has no "undefined").
    "is defined": (lambda value: value is not None, 1, 1, (("value",),)),
}

# For the parser: name -> (minimum, maximum or None, parameter names by overload).
SIGNATURES: dict[str, tuple[int, int | None, tuple[tuple[str, ...], ...]]] = {
    name: (low, high, params) for name, (_, low, high, params) in _TABLE.items()
}


def call(name: str, args: list[Any]) -> Any:
    """Run built-in ``name``; a wrong argument gives null, as FEEL says."""
    fn = _TABLE[name][0]
    try:
        return bounded(fn(*args))
    except (Invalid, TypeError, ValueError, ArithmeticError, IndexError):
        return None


def type_matches(value: Any, type_name: str) -> bool:
    """``instance of``: the FEEL type of ``value`` is ``type_name`` (``Any`` matches non-null)."""
    if type_name == "Any":
        return value is not None
    if type_name == "Null":
        return value is None
    return kind(value) == type_name
