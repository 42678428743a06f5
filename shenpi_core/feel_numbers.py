"""FEEL numeric built-ins (DMN 1.3 §10.3.4.5), in the decimal context of ``feel_values``."""

from __future__ import annotations

import datetime as dt
from decimal import (
    ROUND_CEILING,
    ROUND_DOWN,
    ROUND_FLOOR,
    ROUND_HALF_DOWN,
    ROUND_HALF_EVEN,
    ROUND_HALF_UP,
    ROUND_UP,
    Decimal,
    InvalidOperation,
)
from typing import Any

from shenpi_core.feel_args import Entry, Invalid, check, integer, num
from shenpi_core.feel_values import CTX, YearMonth


# --- numbers ----------------------------------------------------------------------------------
def _quantize(value: Any, scale: Any, rounding: str) -> Decimal:
    n, places = num(value), int(num(scale))  # a fractional scale is truncated (TCK 1100)
    check(-6111 <= places <= 6176)
    try:
        return n.quantize(Decimal(1).scaleb(-places), rounding=rounding, context=CTX)
    except InvalidOperation:
        raise Invalid from None


def _modulo(dividend: Any, divisor: Any) -> Decimal:
    a, b = num(dividend), num(divisor)
    check(b != 0)
    floor = CTX.divide(a, b).to_integral_value(rounding=ROUND_FLOOR)
    return CTX.subtract(a, CTX.multiply(b, floor))


def _sqrt(value: Any) -> Decimal:
    n = num(value)
    check(n >= 0)
    return n.sqrt(CTX)


def _abs(value: Any) -> Any:
    if isinstance(value, dt.timedelta):
        return abs(value)
    if isinstance(value, YearMonth):
        return YearMonth(abs(value.months))
    return abs(num(value))


def _log(value: Any) -> Decimal:
    n = num(value)
    check(n > 0)
    return n.ln(CTX)


def _exp(value: Any) -> Decimal:
    return num(value).exp(CTX)


FUNCTIONS: dict[str, Entry] = {
    "decimal": (lambda n, s: _quantize(n, s, ROUND_HALF_EVEN), 2, 2, (("n", "scale"),)),
    "floor": (lambda n: num(n).to_integral_value(rounding=ROUND_FLOOR), 1, 1, (("n",),)),
    "ceiling": (lambda n: num(n).to_integral_value(rounding=ROUND_CEILING), 1, 1, (("n",),)),
    "round up": (lambda n, s: _quantize(n, s, ROUND_UP), 2, 2, (("n", "scale"),)),
    "round down": (lambda n, s: _quantize(n, s, ROUND_DOWN), 2, 2, (("n", "scale"),)),
    "round half up": (lambda n, s: _quantize(n, s, ROUND_HALF_UP), 2, 2, (("n", "scale"),)),
    "round half down": (lambda n, s: _quantize(n, s, ROUND_HALF_DOWN), 2, 2, (("n", "scale"),)),
    "abs": (_abs, 1, 1, (("n",),)),
    "modulo": (_modulo, 2, 2, (("dividend", "divisor"),)),
    "sqrt": (_sqrt, 1, 1, (("number",),)),
    "log": (_log, 1, 1, (("number",),)),
    "exp": (_exp, 1, 1, (("number",),)),
    "odd": (lambda n: integer(n) % 2 == 1, 1, 1, (("number",),)),
    "even": (lambda n: integer(n) % 2 == 0, 1, 1, (("number",),)),
}
