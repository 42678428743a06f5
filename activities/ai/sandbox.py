"""Jinja templates rendered in a sandbox: prompts and request texts written in process models.

The sandbox refuses what would exhaust the worker rather than the template's author: huge powers
(``10**10**9``), huge repetitions (``'x' * 10**10``) and output beyond ``MAX_RENDERED_CHARS``.
Without the interception Jinja would even fold such constants while compiling the template.
"""

from __future__ import annotations

import math
from typing import Any

from jinja2.exceptions import SecurityError
from jinja2.runtime import Context
from jinja2.sandbox import ImmutableSandboxedEnvironment
from temporalio.exceptions import ApplicationError

from activities.ai.schema import PROMPT_ERROR

# Far above any prompt (documents are capped at 24 000 characters together), far below harm.
MAX_RENDERED_CHARS = 200_000
# Powers up to about 10**77: money, counts and rates, never a number that takes seconds to print.
MAX_POWER_BITS = 256


def render_sandboxed(template: str, context: dict[str, Any], *, what: str) -> str:
    """The rendered text; a non-retryable ``AiPromptError`` if the template cannot render."""
    try:
        return _bounded(_environment().from_string(template).generate(context))
    # Rendering is deterministic: whatever fails (syntax, a sandbox violation, a range over the
    # sandbox's bound, a division by zero) fails every attempt alike, so it is not retried.
    except Exception as err:
        raise ApplicationError(
            f"the {what} template cannot render: {type(err).__name__}: {err}",
            type=PROMPT_ERROR,
            non_retryable=True,
        ) from None


def _bounded(chunks: Any) -> str:
    # Streamed, so a template that loops out a huge text stops at the bound, not at the end.
    parts: list[str] = []
    size = 0
    for chunk in chunks:
        size += len(chunk)
        if size > MAX_RENDERED_CHARS:
            raise SecurityError(f"the rendered text exceeds {MAX_RENDERED_CHARS} characters")
        parts.append(chunk)
    return "".join(parts)


class _BoundedEnvironment(ImmutableSandboxedEnvironment):
    """Immutable: a template cannot change the lists and dicts of the variables it is given."""

    intercepted_binops = frozenset({"**", "*"})

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        if operator == "**":
            _check_power(left, right)
        else:
            _check_repeat(left, right)
        return super().call_binop(context, operator, left, right)


def _check_power(base: Any, exponent: Any) -> None:
    if not _is_number(base) or not _is_number(exponent) or exponent <= 0:
        return  # a TypeError, a fraction or a float overflow: Python refuses those itself
    if abs(base) > 1 and exponent * math.log2(abs(base)) > MAX_POWER_BITS:
        raise SecurityError(f"a power above 2**{MAX_POWER_BITS} is refused")


def _check_repeat(left: Any, right: Any) -> None:
    for sequence, times in ((left, right), (right, left)):
        repeats = isinstance(sequence, str | bytes | list | tuple) and isinstance(times, int)
        if repeats and len(sequence) * times > MAX_RENDERED_CHARS:
            raise SecurityError(f"repeating {len(sequence)} items {times} times is too large")


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _environment() -> _BoundedEnvironment:
    # No loader: a template cannot include files; autoescape off: this is text for a model, not
    # HTML; the default Undefined renders a missing variable as nothing.
    return _BoundedEnvironment(autoescape=False, loader=None, keep_trailing_newline=True)
