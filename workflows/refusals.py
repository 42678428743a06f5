"""One way to refuse a request in a workflow: the typed, non-retryable error the API maps.

Validators raise it (a refused update leaves no trace in history); handlers raise it again when
a re-check fails. ``api/errors.py`` maps each ``ErrorType`` to its HTTP status and code.
"""

from __future__ import annotations

from typing import Any

from temporalio.exceptions import ApplicationError


def refuse(error_type: str, message: str, *details: Any) -> ApplicationError:
    """The error to raise; ``details`` travel to the caller (e.g. the undeclared names)."""
    return ApplicationError(message, *details, type=error_type, non_retryable=True)
