"""What `shenpi dev` shows: the banner on the terminal, and logs in the data dir."""

from __future__ import annotations

import logging
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from temporalio.exceptions import ApplicationError

from shenpi.settings import Settings

if TYPE_CHECKING:
    from shenpi.devstack import DevOptions


class TerminalFormatter(logging.Formatter):
    """Activity failures the code raised on purpose (``ApplicationError``: a webhook answered
    4xx, a provider refused) are news, not bugs: the terminal gets one line, while the log file
    keeps the traceback. Anything else still prints in full."""

    def format(self, record: logging.LogRecord) -> str:
        error = record.exc_info[1] if record.exc_info else None
        if not isinstance(error, ApplicationError):
            return super().format(record)
        brief = logging.makeLogRecord(record.__dict__)  # the file handler keeps the original
        brief.msg, brief.args = f"{record.getMessage()} ({error})", None
        brief.exc_info, brief.exc_text = None, None
        return super().format(brief)


def configure_logging(log_dir: Path) -> None:
    """Everything to `<data-dir>/logs/shenpi.log`; only warnings reach the terminal."""
    log_dir.mkdir(parents=True, exist_ok=True)
    file_handler = logging.FileHandler(log_dir / "shenpi.log", encoding="utf-8")
    file_handler.setLevel(logging.INFO)
    console = logging.StreamHandler()
    console.setLevel(logging.WARNING)
    fmt = "%(asctime)s %(levelname)s %(name)s: %(message)s"
    file_handler.setFormatter(logging.Formatter(fmt))
    console.setFormatter(TerminalFormatter(fmt))
    logging.basicConfig(level=logging.INFO, handlers=[file_handler, console], force=True)
    logging.getLogger("httpx").setLevel(logging.WARNING)  # our own deploy calls, once per file


def _self_command() -> str:
    """How the user ran us (`.venv/bin/shenpi` under `make dev`), so the hint can be pasted."""
    exe = Path(sys.argv[0])
    if exe.name != "shenpi":
        return "shenpi"
    try:
        return str(exe.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(exe)


def _encryption(settings: Settings) -> str:
    ring = settings.payload_key_ring()
    if ring is None:
        return "NOT encrypted (SHENPI_PAYLOAD_ENCRYPTION=off)"
    return f"encrypted with key {ring.current.id} (the Temporal UI decodes through /codec)"


def banner(
    settings: Settings,
    opts: DevOptions,
    deployed: str,
    user: str,
    groups: Sequence[str],
    token: str,
) -> str:
    """What `shenpi dev` prints once everything is up: where things are, and how to sign in."""
    api = f"http://{opts.host}:{opts.api_port}"
    ui = (
        f"http://{opts.host}:{opts.ui_port}"
        if settings.temporal_address is None
        else f"(external Temporal at {settings.temporal_address})"
    )
    return "\n".join(
        [
            f"Shenpi dev stack is up (state in {opts.data_dir.resolve()})",
            f"  Console         {api}/ui/#token={token}  (signs in {user})",
            f"  API             {api}/api/v1",
            f"  API docs        {api}/docs",
            f"  Temporal UI     {ui}",
            f"  Temporal gRPC   {settings.resolved_temporal_address}",
            f"  Metrics         {api}/metrics (API), http://{opts.host}:{opts.metrics_port}/metrics"
            " (worker)",
            f"  Processes       {deployed or '(none deployed)'}",
            f"  Payloads        {_encryption(settings)}",
            f"Dev token for {user} (groups: {','.join(groups)}):",
            f"  export SHENPI_TOKEN={token}",
            "Mint others with:",
            f"  {_self_command()} token bob --groups finance,legal --data-dir {opts.data_dir}",
            "Press Ctrl-C to stop (twice to force).",
        ]
    )
