"""`shenpi dev`'s terminal: an expected activity failure is one line, a bug keeps its traceback."""

from __future__ import annotations

import logging
import sys

from temporalio.exceptions import ApplicationError

from shenpi.devconsole import TerminalFormatter


def _record(error: BaseException) -> logging.LogRecord:
    try:
        raise error
    except BaseException:
        exc_info = sys.exc_info()
    return logging.LogRecord(
        "temporalio.activity", logging.WARNING, __file__, 1, "Completing activity as failed",
        None, exc_info,
    )  # fmt: skip


def test_an_application_error_is_one_line_and_a_bug_keeps_its_traceback() -> None:
    formatter = TerminalFormatter("%(levelname)s %(name)s: %(message)s")
    expected = _record(ApplicationError("webhook answered HTTP 400", non_retryable=True))
    bug = _record(KeyError("oops"))
    line = formatter.format(expected)
    assert line == (
        "WARNING temporalio.activity: Completing activity as failed (webhook answered HTTP 400)"
    )
    assert "Traceback" in formatter.format(bug)
    # The record itself is untouched: the log file's handler still writes the traceback.
    assert expected.exc_info is not None
    assert "Traceback" in logging.Formatter().format(expected)
