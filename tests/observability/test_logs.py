"""JSON log lines: the ids an API request is about come from its path; the API process writes
them for the lines logged while it serves the request."""

from __future__ import annotations

import json
import logging

from shenpi.logs import JsonFormatter, ids_in_path, request_ids


def test_ids_come_from_the_request_path() -> None:
    assert ids_in_path("/api/v1/instances/purchase:wechat:7/tasks/approve-1/decision") == {
        "instance_id": "purchase:wechat:7",
        "task_id": "approve-1",
    }
    assert ids_in_path("/api/v1/processes/leave-request/instances") == {
        "process_id": "leave-request"
    }
    assert ids_in_path("/metrics") == {}


def test_a_line_logged_during_a_request_carries_its_ids() -> None:
    record = logging.LogRecord("api", logging.WARNING, __file__, 1, "refused %s", ("x",), None)
    token = request_ids.set(ids_in_path("/api/v1/instances/p:1/tasks/t-1/decision"))
    try:
        line = json.loads(JsonFormatter().format(record))
    finally:
        request_ids.reset(token)
    assert line["message"] == "refused x" and line["level"] == "WARNING"
    assert (line["instance_id"], line["task_id"]) == ("p:1", "t-1")
    assert "trace_id" not in line  # no span: tracing is off
