"""The one place where exceptions become HTTP errors: ``{"error": {code, message, details}}``.

Routes raise (or let Temporal raise) and never catch; each handler below decides the status code.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic_core import PydanticSerializationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.formparsers import MultiPartException
from temporalio.client import (
    RPCTimeoutOrCancelledError,
    WorkflowQueryFailedError,
    WorkflowQueryRejectedError,
    WorkflowUpdateFailedError,
)
from temporalio.exceptions import ApplicationError, WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from bpmn_compiler.diagnostics import CompileError
from shenpi.auth_tokens import InvalidTokenError
from shenpi.payload_keys import DecryptionError, UnknownKeyError
from shenpi_core.contracts import ErrorType
from shenpi_core.expression_errors import ExpressionError

log = logging.getLogger(__name__)

# Seconds a client should wait before retrying when no worker answered in time.
RETRY_AFTER_SECONDS = 5
_WAIT_IN_MESSAGE = re.compile(r"in (\d+) ?s\b")

_UPDATE_FAILURES: Mapping[str, tuple[int, str]] = {
    ErrorType.NOT_ALLOWED: (403, "forbidden"),
    ErrorType.TASK_NOT_FOUND: (404, "task_not_found"),
    ErrorType.NOT_OPEN: (409, "task_not_open"),
    ErrorType.ILLEGAL_ACTION: (409, "illegal_action"),
    ErrorType.INSTANCE_CLOSED: (409, "instance_closed"),
    ErrorType.NOT_INITIATOR: (403, "forbidden"),
    ErrorType.ALREADY_ACTED: (409, "already_acted"),
    ErrorType.RATE_LIMITED: (429, "rate_limited"),
    ErrorType.UNDECLARED_VARIABLES: (422, "undeclared_variables"),
    ErrorType.INVALID_INPUT: (422, "invalid_value"),
    ErrorType.INCIDENT_NOT_FOUND: (404, "incident_not_found"),
    ErrorType.INCIDENT_RESOLVED: (409, "incident_resolved"),
    ErrorType.NOT_WAITING: (409, "not_waiting"),
}
# Validation errors that mean "well-formed, but over a documented limit": 422, not 400.
_LIMIT_ERRORS = frozenset(
    {
        "limit_exceeded",
        "string_unicode",
        "string_too_long",
        "too_long",
        "less_than_equal",
        "greater_than_equal",
        "greater_than",
        "less_than",
    }
)

_RPC_STATUSES: Mapping[RPCStatusCode, tuple[int, str]] = {
    RPCStatusCode.NOT_FOUND: (404, "not_found"),
    RPCStatusCode.DEADLINE_EXCEEDED: (503, "unavailable"),
    RPCStatusCode.UNAVAILABLE: (503, "unavailable"),
    RPCStatusCode.RESOURCE_EXHAUSTED: (503, "unavailable"),
    RPCStatusCode.INVALID_ARGUMENT: (400, "invalid_request"),
    RPCStatusCode.ALREADY_EXISTS: (409, "conflict"),
    RPCStatusCode.PERMISSION_DENIED: (403, "forbidden"),
    RPCStatusCode.FAILED_PRECONDITION: (409, "conflict"),
}


class ApiError(Exception):
    """An error a route or dependency raises on purpose, with its HTTP status and code."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        details: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details
        self.headers = dict(headers or {})


def error_response(
    status: int,
    code: str,
    message: str,
    details: Any = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    body = {"error": {"code": code, "message": message, "details": details}}
    return JSONResponse(body, status_code=status, headers=dict(headers or {}))


def _unavailable(message: str) -> JSONResponse:
    return error_response(503, "unavailable", message, headers=_retry_after())


def _retry_after() -> dict[str, str]:
    return {"Retry-After": str(RETRY_AFTER_SECONDS)}


async def _api_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    return error_response(exc.status, exc.code, exc.message, exc.details, exc.headers)


async def _compile_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, CompileError)
    details = [d.model_dump(mode="json") for d in exc.diagnostics]
    return error_response(422, "compile_error", str(exc), details)


async def _evaluation_error(_: Request, exc: Exception) -> JSONResponse:
    # A decision that cannot give a result (two rules of a UNIQUE table match): the request's
    # variables, or the table, are at fault, not the server.
    assert isinstance(exc, ExpressionError)
    return error_response(422, "evaluation_error", exc.message)


async def _already_started(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, WorkflowAlreadyStartedError)
    details = {"instance_id": exc.workflow_id, "process_id": exc.workflow_type}
    return error_response(409, "already_started", "an instance with this id exists", details)


async def _update_failed(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, WorkflowUpdateFailedError)
    cause = exc.cause
    if isinstance(cause, ApplicationError) and cause.type and cause.type in _UPDATE_FAILURES:
        status, code = _UPDATE_FAILURES[cause.type]
        headers = _retry_after_of(cause) if status == 429 else None
        details: dict[str, Any] = {"type": cause.type}
        if status == 422 and cause.details and isinstance(cause.details[0], dict):
            details.update(cause.details[0])  # which variables, and why
        return error_response(status, code, cause.message, details, headers)
    log.error("decision failed inside the workflow: %r", cause)
    return error_response(500, "decision_failed", str(cause))


def _retry_after_of(cause: ApplicationError) -> dict[str, str]:
    """``Retry-After`` for a rate-limited action: the seconds the refusal names, else the default.

    The workflow says how long to wait in a detail (a number or ``{"retry_after_seconds": n}``)
    or, failing that, in its message (``... next urge in 42 s``).
    """
    seconds: float | None = None
    for detail in cause.details:
        if isinstance(detail, int | float) and not isinstance(detail, bool):
            seconds = detail
        elif isinstance(detail, dict) and isinstance(
            detail.get("retry_after_seconds"), int | float
        ):
            seconds = detail["retry_after_seconds"]
    if seconds is None and (found := _WAIT_IN_MESSAGE.search(cause.message)):
        seconds = int(found.group(1))
    return {"Retry-After": str(max(1, math.ceil(seconds or RETRY_AFTER_SECONDS)))}


async def _rpc_timeout(_: Request, exc: Exception) -> JSONResponse:
    return _unavailable("no worker answered in time; retry with the same Idempotency-Key")


async def _timeout(_: Request, exc: Exception) -> JSONResponse:
    return _unavailable("Temporal did not answer in time")


def instance_ended(exc: RPCError) -> bool:
    """Whether Temporal refused an update because the instance has ended ("already completed")
    or ended while the update waited ("update was aborted by closing workflow"): it says
    NOT_FOUND, callers mean "closed"."""
    return exc.status == RPCStatusCode.NOT_FOUND and (
        "already completed" in exc.message or "closing workflow" in exc.message
    )


async def _rpc_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RPCError)
    if instance_ended(exc):
        return error_response(409, "instance_closed", "the instance has ended")
    status, code = _RPC_STATUSES.get(exc.status, (502, "temporal_error"))
    headers = _retry_after() if status == 503 else None
    return error_response(status, code, exc.message, headers=headers)


async def _query_failed(_: Request, exc: Exception) -> JSONResponse:
    log.error("state query failed: %s", exc)
    return error_response(500, "query_failed", str(exc))


async def _query_rejected(_: Request, exc: Exception) -> JSONResponse:
    return error_response(409, "query_rejected", str(exc))


async def _invalid_token(_: Request, exc: Exception) -> JSONResponse:
    headers = {"WWW-Authenticate": 'Bearer error="invalid_token"'}
    return error_response(401, "unauthorized", f"invalid token: {exc}", headers=headers)


async def _undecryptable(_: Request, exc: Exception) -> JSONResponse:
    # Data under a key this ring lacks, or altered: the caller's data, not a server fault.
    code = "unknown_key" if isinstance(exc, UnknownKeyError) else "undecryptable"
    return error_response(422, code, str(exc))


async def _validation(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    # Input echoes can be large or sensitive; the location and reason are enough to fix a request.
    errors = exc.errors()
    details = [{"loc": list(e["loc"]), "msg": e["msg"], "type": e["type"]} for e in errors]
    if errors and all(e["type"] in _LIMIT_ERRORS for e in errors):
        return error_response(422, "invalid_value", "a value breaks a documented limit", details)
    return error_response(400, "invalid_request", "the request is not valid", details)


async def _http_exception(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    codes = {404: "not_found", 405: "method_not_allowed", 413: "too_large"}
    code = codes.get(exc.status_code, "http_error")
    return error_response(exc.status_code, code, str(exc.detail), headers=exc.headers)


async def _multipart(_: Request, exc: Exception) -> JSONResponse:
    # A multipart body without a boundary, or with a broken part: the client's mistake.
    return error_response(400, "invalid_request", f"malformed multipart body: {exc}")


async def _not_unicode(request: Request, exc: Exception) -> JSONResponse:
    # Text with a lone surrogate parses as JSON but cannot be stored or sent anywhere: the
    # encoder refuses it (directly, or inside pydantic's serializer on the way to Temporal).
    if isinstance(exc, PydanticSerializationError) and "UnicodeEncodeError" not in str(exc):
        return await _unexpected(request, exc)
    return error_response(422, "invalid_value", "the request holds text that is not valid Unicode")


async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error", exc_info=exc)
    return error_response(500, "internal_error", "internal server error")


def install_error_handlers(app: FastAPI) -> None:
    """Register every mapping on ``app``. Order does not matter: Starlette picks the MRO match."""
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(CompileError, _compile_error)
    app.add_exception_handler(ExpressionError, _evaluation_error)
    app.add_exception_handler(WorkflowAlreadyStartedError, _already_started)
    app.add_exception_handler(WorkflowUpdateFailedError, _update_failed)
    app.add_exception_handler(RPCTimeoutOrCancelledError, _rpc_timeout)
    app.add_exception_handler(TimeoutError, _timeout)
    app.add_exception_handler(RPCError, _rpc_error)
    app.add_exception_handler(WorkflowQueryFailedError, _query_failed)
    app.add_exception_handler(WorkflowQueryRejectedError, _query_rejected)
    app.add_exception_handler(InvalidTokenError, _invalid_token)
    app.add_exception_handler(UnknownKeyError, _undecryptable)
    app.add_exception_handler(DecryptionError, _undecryptable)
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(StarletteHTTPException, _http_exception)
    app.add_exception_handler(MultiPartException, _multipart)
    app.add_exception_handler(UnicodeEncodeError, _not_unicode)
    app.add_exception_handler(PydanticSerializationError, _not_unicode)
    app.add_exception_handler(Exception, _unexpected)
