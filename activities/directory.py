"""Activity ``shenpi-directory``: evaluate an expression that asks the directory (I/O).

The workflow never looks people up itself (docs/architecture.md §2): an approvers or escalation
expression that calls ``manager()``, ``members()``, ``dept_leader()`` or ``department()`` comes
here with the instance variables, and the result goes back as a flat list of user ids.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from temporalio import activity
from temporalio.exceptions import ApplicationError

from shenpi.directory import DirectoryLookupError, DirectoryProvider, directory_functions
from shenpi_core.contracts import ACTIVITY_DIRECTORY, DirectoryResolveInput, DirectoryResolveResult
from shenpi_core.expressions import ExpressionError, evaluate

# ApplicationError types: a retry would give the same answer, so both are non-retryable.
LOOKUP_ERROR = "DirectoryLookupError"
EXPRESSION_ERROR = "ExpressionError"


class DirectoryActivities:
    """Owns the provider (a reloading YAML directory, or any ``DirectoryProvider``)."""

    def __init__(self, provider: DirectoryProvider) -> None:
        self._functions: dict[str, Callable[..., Any]] = directory_functions(provider)

    # Synchronous: providers may block (file reads now, the WeChat Work API later); the worker
    # runs it on its thread pool.
    @activity.defn(name=ACTIVITY_DIRECTORY)
    def resolve(self, input: DirectoryResolveInput) -> DirectoryResolveResult:
        """The value as user ids: ``None`` → ``[]``, lists flattened, each id once."""
        try:
            value = evaluate(input.ast, input.variables, functions=self._functions)
            return DirectoryResolveResult(values=list(dict.fromkeys(flatten_ids(value))))
        except DirectoryLookupError as err:
            raise ApplicationError(err.message, type=LOOKUP_ERROR, non_retryable=True) from None
        except ExpressionError as err:
            raise ApplicationError(err.message, type=EXPRESSION_ERROR, non_retryable=True) from None


def flatten_ids(value: Any) -> Iterator[str]:
    """Ids from a value: strings (comma lists too, as approvers may be), nested lists, nulls."""
    if value is None:
        return
    if isinstance(value, str):
        yield from (part.strip() for part in value.split(",") if part.strip())
    elif isinstance(value, list | tuple):
        for item in value:
            yield from flatten_ids(item)
    else:
        raise ExpressionError(f"a directory expression must give user ids, got {value!r}")
