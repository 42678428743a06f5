"""Log output of the API and the worker: plain text (the default) or one JSON object a line
(``SHENPI_LOG_FORMAT=json``) for a log collector, with the ids that tie a line to an instance,
its process and task, and its trace (docs/observability.md)."""

from __future__ import annotations

import contextvars
import json
import logging
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from opentelemetry import trace

from shenpi.settings import Settings

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"

# Ids a request is about, taken from its path by the API (``RequestIds``): what its lines carry.
request_ids: contextvars.ContextVar[Mapping[str, str] | None] = contextvars.ContextVar(
    "shenpi_request_ids", default=None
)
_PATH_IDS = re.compile(r"/(instances|tasks|definitions|processes)/([^/]+)")
_PATH_KEYS = {
    "instances": "instance_id",
    "tasks": "task_id",
    "definitions": "process_id",
    "processes": "process_id",
}
# Field names of the log record that callers may set with ``extra=`` and that we pass on.
_EXTRA_KEYS = ("instance_id", "process_id", "task_id", "node_id", "incident_id")


def ids_in_path(path: str) -> dict[str, str]:
    """``/api/v1/instances/p:1/tasks/t-1/decision`` → ``{"instance_id": "p:1", "task_id":
    "t-1"}``."""
    return {_PATH_KEYS[kind]: value for kind, value in _PATH_IDS.findall(path)}


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time, level, logger, message, the ids it can find, and the
    exception. Temporal's loggers put the workflow or activity context on ``temporal_workflow``
    / ``temporal_activity``; the instance id is the workflow id."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update(request_ids.get() or {})
        temporal: Mapping[str, Any] = (
            getattr(record, "temporal_workflow", None)
            or getattr(record, "temporal_activity", None)
            or {}
        )
        if temporal.get("workflow_id"):
            entry["instance_id"] = temporal["workflow_id"]
            entry["run_id"] = temporal.get("run_id") or temporal.get("workflow_run_id")
        if temporal.get("workflow_type"):  # an instance's workflow type is its process id
            entry["process_id"] = temporal["workflow_type"]
        for key in ("activity_type", "activity_id", "attempt", "update_id", "update_name"):
            if temporal.get(key) is not None:
                entry[key] = temporal[key]
        for key in _EXTRA_KEYS:
            value = getattr(record, key, None)
            if value is not None:
                entry[key] = value
        span = trace.get_current_span().get_span_context()
        if span.is_valid:
            entry["trace_id"] = format(span.trace_id, "032x")
            entry["span_id"] = format(span.span_id, "016x")
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def configure_logging(settings: Settings, level: int = logging.INFO) -> None:
    """The root logger's one handler (stderr), in the configured format; uvicorn's loggers are
    sent through it too so that every line of a process has the same shape."""
    handler = logging.StreamHandler()
    if settings.log_format == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter(TEXT_FORMAT))
    logging.basicConfig(level=level, handlers=[handler], force=True)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        uvicorn_logger = logging.getLogger(name)
        uvicorn_logger.handlers.clear()
        uvicorn_logger.propagate = True
