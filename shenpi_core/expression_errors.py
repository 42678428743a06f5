"""The errors of expression evaluation, apart from the evaluators so both dialects can raise them.

``shenpi_core.expressions`` re-exports them: callers import from there.
"""

from __future__ import annotations


class ExpressionError(Exception):
    """An expression could not be evaluated; ``message`` is shown on the incident."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class UndefinedVariableError(ExpressionError):
    """A variable (or a key along its path) does not exist."""
