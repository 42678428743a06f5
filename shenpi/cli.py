"""`shenpi`: the command line (dev stack, single components, compile, deploy, token).

Each command imports what it needs when it runs, so `shenpi compile` works (and starts fast)
without the API or worker stack being importable.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Coroutine, Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Protocol, TypeVar

import typer

if TYPE_CHECKING:
    from bpmn_compiler.diagnostics import Diagnostic
    from shenpi.settings import Settings
    from shenpi_core.process_plan import ProcessPlan

app = typer.Typer(
    name="shenpi",
    help="Shenpi (审批): BPMN approval processes as durable Temporal workflows.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

DataDir = Annotated[
    Path, typer.Option("--data-dir", help="State of the dev stack (databases, secret, logs).")
]


class _Compiled(Protocol):
    @property
    def warnings(self) -> list[Diagnostic]: ...


Result = TypeVar("Result", bound=_Compiled)
Awaited = TypeVar("Awaited")


class Emit(StrEnum):
    plan = "plan"
    python = "python"


def _run(coroutine: Coroutine[object, object, Awaited]) -> Awaited:
    """``asyncio.run``, imported when a command needs it: ``shenpi compile`` starts faster
    without asyncio (and the ssl, socket and subprocess modules it loads)."""
    import asyncio

    return asyncio.run(coroutine)


def _fail(message: str, code: int = 1) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code)


def _checked_settings() -> Settings:
    """SHENPI_* settings, or exit saying what is wrong (a refused production start, say)."""
    from pydantic import ValidationError

    from shenpi.settings import get_settings

    try:
        return get_settings()
    except ValidationError as err:
        reasons = "; ".join(str(e["msg"]).removeprefix("Value error, ") for e in err.errors())
        raise _fail(f"settings refused: {reasons}") from None


@app.command()
def dev(
    data_dir: DataDir = Path(".shenpi"),
    port: Annotated[int, typer.Option(help="API port.")] = 8000,
    temporal_port: Annotated[int, typer.Option(help="Temporal gRPC port.")] = 7233,
    ui_port: Annotated[int, typer.Option(help="Temporal UI port.")] = 8233,
    metrics_port: Annotated[int, typer.Option(help="Worker Prometheus metrics port.")] = 9464,
    deploy: Annotated[
        bool, typer.Option(help="Deploy processes/*.form, *.dmn and *.bpmn at start.")
    ] = True,
    processes: Annotated[Path, typer.Option(help="Folder of BPMN files to deploy.")] = Path(
        "processes"
    ),
    database_url: Annotated[
        str | None,
        typer.Option(
            help="App database, e.g. postgresql+asyncpg://user@host/db "
            "(default: SHENPI_DATABASE_URL, else SQLite in the data dir)."
        ),
    ] = None,
) -> None:
    """Run Temporal (embedded), the worker and the API in one process; Ctrl-C stops all."""
    from shenpi.devstack import DevOptions, DevStackError, run_dev

    opts = DevOptions(
        data_dir=data_dir,
        api_port=port,
        temporal_port=temporal_port,
        ui_port=ui_port,
        metrics_port=metrics_port,
        deploy=deploy,
        processes_dir=processes,
        database_url=database_url,
    )
    try:
        run_dev(opts, sys.stdout)
    except DevStackError as err:
        raise _fail(str(err)) from None
    typer.echo("Stopped.")


@app.command()
def worker(
    ocr_only: Annotated[
        bool, typer.Option("--ocr-only", help="Serve only OCR (<task queue>-ocr), no workflows.")
    ] = False,
) -> None:
    """Run one worker from SHENPI_* settings (production style); SIGTERM drains it."""
    from worker import main

    _checked_settings()
    main(ocr_only=ocr_only)


@app.command()
def api() -> None:
    """Serve the HTTP API from SHENPI_* settings (production style); SIGTERM drains it."""
    from api.main import create_app
    from shenpi.devapi import ApiStartError, serve_until_signalled

    settings = _checked_settings()
    from shenpi.logs import configure_logging
    from shenpi.settings import get_settings

    settings = get_settings()
    # JSON lines replace uvicorn's own console format; text keeps uvicorn's.
    json_logs = settings.log_format == "json"
    if json_logs:
        configure_logging(settings)
    app_ = create_app(settings)
    try:
        _run(
            serve_until_signalled(
                app_, host=settings.api_host, port=settings.api_port, own_logging=not json_logs
            )
        )
    except ApiStartError as err:
        raise _fail(str(err)) from None


@app.command(name="compile")
def compile_(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
    emit: Annotated[Emit, typer.Option(help="plan: the ProcessPlan JSON; python: a module.")] = (
        Emit.plan
    ),
    output: Annotated[Path | None, typer.Option("-o", "--output", help="Write here.")] = None,
) -> None:
    """Compile a BPMN, DMN or form file: diagnostics on stderr (exit 1 on error), else the plan
    (a DMN file: its DecisionPlan; a Camunda Form: its FormPlan) or, for BPMN, a workflow
    module."""
    with _without_pydantic_plugins():
        text = _compile_text(file, emit)
    if output is None:
        typer.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        typer.echo(f"wrote {output}", err=True)


@contextmanager
def _without_pydantic_plugins() -> Iterator[None]:
    """Pydantic looks for plugins when it builds its first model, by reading the metadata of
    every installed distribution (30 ms, a tenth of a cold ``shenpi compile``); a compile uses
    none. Typer's own parameter models are built the same way."""
    previous = os.environ.get("PYDANTIC_DISABLE_PLUGINS")
    os.environ["PYDANTIC_DISABLE_PLUGINS"] = "__all__"
    try:
        yield
    finally:
        if previous is None:
            del os.environ["PYDANTIC_DISABLE_PLUGINS"]
        else:
            os.environ["PYDANTIC_DISABLE_PLUGINS"] = previous


def _compile_text(file: Path, emit: Emit) -> str:
    from bpmn_compiler import compile_bpmn
    from bpmn_compiler.file_kinds import is_dmn, is_form

    xml = file.read_bytes()
    if is_form(xml) or is_dmn(xml):
        if emit is Emit.python:
            raise _fail("--emit python is for BPMN processes; DMN and forms compile to a plan")
        if is_form(xml):
            from bpmn_compiler.camunda_forms import compile_form

            form = _compiled(lambda: compile_form(xml, source=str(file)), file).plan
            return form.model_dump_json(indent=2) + "\n"
        from bpmn_compiler.dmn import compile_dmn

        decisions = _compiled(lambda: compile_dmn(xml, source=str(file)), file).plan
        return decisions.model_dump_json(indent=2) + "\n"
    plan = _compiled(lambda: compile_bpmn(xml, source=str(file)), file).plan
    if emit is Emit.python:
        from bpmn_compiler.emit_python import emit_python

        return emit_python(plan)
    return plan.model_dump_json(indent=2) + "\n"


def _compiled(run: Callable[[], Result], file: Path) -> Result:
    """``run()``'s result, its warnings printed; on a compile error every diagnostic, then exit."""
    from bpmn_compiler import CompileError
    from bpmn_compiler.cli_support import format_diagnostics

    try:
        result = run()
    except CompileError as err:
        typer.echo(format_diagnostics(err.diagnostics, source=str(file)), err=True)
        raise typer.Exit(1) from None
    if result.warnings:
        typer.echo(format_diagnostics(result.warnings, source=str(file)), err=True)
    return result


def _dev_secret(data_dir: Path) -> str:
    """The HS256 secret the API of this data dir verifies with (SHENPI_JWT_SECRET wins)."""
    from shenpi.auth_tokens import signing_secret
    from shenpi.settings import Settings

    secret = signing_secret(Settings(data_dir=data_dir))
    if secret is None:
        raise _fail("no HS256 secret here (JWKS only): tokens come from your identity provider")
    return secret


@app.command()
def token(
    sub: Annotated[str, typer.Argument(help="User id (the JWT `sub`).")],
    groups: Annotated[str, typer.Option(help="Comma-separated groups, e.g. finance,admin.")] = "",
    data_dir: DataDir = Path(".shenpi"),
) -> None:
    """Print a dev JWT signed with SHENPI_JWT_SECRET or the data dir's secret."""
    from shenpi.auth_tokens import mint_token

    group_list = [g.strip() for g in groups.split(",") if g.strip()]
    typer.echo(mint_token(sub, group_list, secret=_dev_secret(data_dir)))


keys_app = typer.Typer(help="Payload encryption keys (docs/security.md).")
app.add_typer(keys_app, name="keys")


@keys_app.command(name="new")
def keys_new(
    key_id: Annotated[str, typer.Argument(help="The new key's id, e.g. 2026-12.")],
) -> None:
    """Print a new random AES-256 key as a key-ring entry (id:base64key)."""
    from shenpi.payload_keys import KeyRingError, new_key_entry

    try:
        typer.echo(new_key_entry(key_id))
    except KeyRingError as err:
        raise _fail(str(err)) from None


@keys_app.command(name="reseal")
def keys_reseal() -> None:
    """Seal the app database's encrypted rows again with the current key (the first of
    SHENPI_PAYLOAD_KEYS), so that older keys can leave the ring."""
    from shenpi.db.engine import create_engine, create_sessionmaker
    from shenpi.db.migrate import upgrade
    from shenpi.db.reseal import reseal
    from shenpi.settings import Settings

    settings = Settings()
    ring = settings.payload_key_ring()
    if ring is None:
        raise _fail("no key ring: set SHENPI_PAYLOAD_KEYS or SHENPI_PAYLOAD_KEYS_FILE")

    async def run() -> None:
        await upgrade(settings)
        engine = create_engine(settings.resolved_database_url)
        try:
            for counts in await reseal(create_sessionmaker(engine, ring)):
                typer.echo(
                    f"{counts.column}: {counts.rows} sealed with {ring.current.id},"
                    f" {counts.current} already current"
                )
        finally:
            await engine.dispose()

    _run(run())


@app.command()
def deploy(
    files: Annotated[list[Path], typer.Argument(exists=True, dir_okay=False, readable=True)],
    url: Annotated[str, typer.Option(help="Base URL of the API.")] = "http://127.0.0.1:8000",
    token: Annotated[
        str | None,
        typer.Option(envvar="SHENPI_TOKEN", help="Bearer token (default: a dev admin token)."),
    ] = None,
    data_dir: DataDir = Path(".shenpi"),
) -> None:
    """Deploy BPMN, DMN and form files to a running API; the same content again keeps its
    version."""
    import httpx

    from shenpi import devdeploy
    from shenpi.auth_tokens import mint_token
    from shenpi.settings import Settings

    bearer = token or mint_token(
        "shenpi-cli", [Settings(data_dir=data_dir).admin_group], secret=_dev_secret(data_dir)
    )
    try:
        ordered = devdeploy.decisions_first(files)
        deployed = _run(devdeploy.deploy_files(url, bearer, ordered))
    except devdeploy.DeployError as err:
        for line in err.detail_lines():
            typer.echo(f"  {line}", err=True)
        raise _fail(str(err)) from None
    except httpx.HTTPError as err:  # connection refused, timeouts
        raise _fail(f"cannot reach {url}: {err}") from None
    for d in deployed:
        state = "deployed" if d.created else "unchanged"
        typer.echo(f"{d.path}: {d.process_id} v{d.version} {state} ({d.hash[:12]})")
        for warning in d.warnings:
            typer.echo(f"  warning: {warning}", err=True)


ai_app = typer.Typer(help="The AI reviewer: calibrate a node before it decides.")
app.add_typer(ai_app, name="ai")


@ai_app.command(name="eval")
def ai_eval(
    process: Annotated[str, typer.Argument(help="A BPMN file, or a deployed process id.")],
    node: Annotated[str, typer.Option(help="The id of the node with <shenpi:ai>.")],
    cases: Annotated[
        Path | None,
        typer.Option(
            exists=True,
            dir_okay=False,
            help='Labelled JSONL ({"variables": {...}, "label": "approve"} per line);'
            " default: the node's archived human decisions.",
        ),
    ] = None,
    split: Annotated[str | None, typer.Option(help="Only the lines of this split.")] = None,
    examples: Annotated[
        Path | None,
        typer.Option(
            exists=True,
            dir_okay=False,
            help="Labelled JSONL whose requests are tried as more of the node's examples (a"
            " case is no example for itself): what writing them into the file would do.",
        ),
    ] = None,
    examples_split: Annotated[
        str | None, typer.Option(help="Only the lines of this split as examples.")
    ] = None,
    target: Annotated[float, typer.Option(min=0, max=1, help="The precision to reach.")] = 0.98,
    as_json: Annotated[bool, typer.Option("--json", help="The report as JSON.")] = False,
) -> None:
    """Replay past decisions or labelled cases through a node's AI configuration: coverage and
    precision per threshold, agreement, disagreements, the threshold reaching --target."""
    import json

    from activities.ai.evaluate import EvalError, evaluate_node, read_jsonl
    from shenpi.settings import get_settings

    settings = get_settings()
    try:
        plan = _plan_of(process, settings)
        labelled = read_jsonl(cases, split=split) if cases is not None else None
        tried = read_jsonl(examples, split=examples_split) if examples is not None else []
        report = _run(evaluate_node(settings, plan, node, labelled, tried))
    except (EvalError, LookupError) as err:
        raise _fail(str(err)) from None
    if as_json:
        typer.echo(json.dumps(report.public(target), ensure_ascii=False, indent=2))
    else:
        typer.echo(report.text(target))


def _plan_of(process: str, settings: Settings) -> ProcessPlan:
    """A BPMN file compiled, or the latest deployed version of a process id."""
    from bpmn_compiler import CompileError, compile_bpmn
    from bpmn_compiler.cli_support import format_diagnostics

    path = Path(process)
    if not path.is_file():
        return _run(_deployed_plan(process, settings))
    try:
        return compile_bpmn(path.read_bytes(), source=process).plan
    except CompileError as err:
        raise LookupError(format_diagnostics(err.diagnostics, source=process)) from None


async def _deployed_plan(process_id: str, settings: Settings) -> ProcessPlan:
    from shenpi.db.engine import create_engine, create_sessionmaker
    from shenpi.db.repository import get_definition, load_plan

    engine = create_engine(settings.resolved_database_url)
    try:
        async with create_sessionmaker(engine, settings.payload_key_ring())() as session:
            definition = await get_definition(session, process_id)
    finally:
        await engine.dispose()
    if definition is None:
        raise LookupError(f"no BPMN file and no deployed process {process_id!r}")
    return load_plan(definition)


if __name__ == "__main__":  # pragma: no cover - `python -m shenpi.cli`
    app()
