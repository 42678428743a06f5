"""FEEL results as JSON, for a variable: a whole number as an int, other numbers as floats,
dates, times and durations as their ISO text (what Zeebe stores for them too).

Apart from ``feel_values`` because it needs ``feel_temporal``, which needs ``feel_values``; every
import here is at module level, so nothing is imported inside a running workflow.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from shenpi_core.expression_errors import ExpressionError
from shenpi_core.feel_temporal import format_value
from shenpi_core.feel_values import YearMonth, kind


def to_json(value: Any) -> Any:
    """A FEEL result as a JSON value a variable can hold."""
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, Decimal):
        if value == value.to_integral_value() and abs(value) < Decimal(10) ** 18:
            return int(value)
        as_float = float(value)
        if not math.isfinite(as_float):
            raise ExpressionError(f"number {value} does not fit a variable")
        return as_float
    if isinstance(value, list):
        return [to_json(item) for item in value]
    if isinstance(value, Mapping):
        return {k: to_json(v) for k, v in value.items()}
    if isinstance(value, dt.date | dt.time | dt.timedelta | YearMonth):
        return format_value(value)
    raise ExpressionError(f"a {kind(value)} cannot be stored in a variable")
