"""What `shenpi dev` shows: the banner on the terminal, and logs in the data dir."""

from __future__ import annotations

import logging
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from shenpi.settings import Settings

if TYPE_CHECKING:
    from shenpi.devstack import DevOptions


def configure_logging(log_dir: Path) -> None:
    """Everything to `<data-dir>/logs/shenpi.log`; only warnings reach the terminal."""
    log_dir.mkdir(parents=True, exist_ok=True)
    file_handler = logging.FileHandler(log_dir / "shenpi.log", encoding="utf-8")
    file_handler.setLevel(logging.INFO)
    console = logging.StreamHandler()
    console.setLevel(logging.WARNING)
    fmt = logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    for handler in (file_handler, console):
        handler.setFormatter(fmt)
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
            f"Dev token for {user} (groups: {','.join(groups)}):",
            f"  export SHENPI_TOKEN={token}",
            "Mint others with:",
            f"  {_self_command()} token bob --groups finance,legal --data-dir {opts.data_dir}",
            "Press Ctrl-C to stop (twice to force).",
        ]
    )
