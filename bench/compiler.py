"""The compiler against SpiffWorkflow's `BpmnParser` on the real-world corpus, and the cold CLI.

`python -m bench.compiler [--repeats 20] [--rounds 3] [--cold 7] [--spiff-version 3.2.0]
[--venv DIR]` (a minute or two). SpiffWorkflow never enters the project: it is installed from
PyPI into a throwaway virtualenv under /tmp (removed at the end; `--venv DIR` keeps one to reuse),
where `bench/spiff_parse.py` times it.

In-process, per corpus file (`../shared/bpmn-corpus`), after one warm-up: Shenpi's
`compile_bpmn(xml)` (bytes to a hashed plan, every check included) against SpiffWorkflow's
`add_bpmn_str(xml)` + `get_spec` + `get_subprocess_specs` for the same process. The two take
turns file by file within each round (SpiffWorkflow serves from its own process, line by line),
so both see the same machine; a sample is the CPU time
of the process (`time.process_time`: on a shared machine, wall clock also counts the time another
job held the core), and a file's figure is the median of all its samples. The headline set is the
files both turn into something runnable (a plan, a spec). Cold: `shenpi compile X` as a new process
for each file of `processes/`, bytecode cached (one run first): median wall clock and CPU time.
Shenpi runs its compiled compiler when that is built and current (`make native`), and the report
says which build ran; `SHENPI_PURE_COMPILER=1` runs the Python sources.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from bpmn_compiler import BUILD, CompileError, compile_bpmn

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "bpmn-corpus"
SPIFF_SIDE = Path(__file__).resolve().with_name("spiff_parse.py")
SHENPI = Path(sys.executable).with_name("shenpi")


@dataclass
class FileRun:
    name: str
    process_id: str | None  # None: Shenpi refuses the file
    shenpi_fate: str
    spiff_fate: str = ""
    shenpi: list[float] = field(default_factory=list)
    spiff: list[float] = field(default_factory=list)

    @property
    def both_run(self) -> bool:
        return self.process_id is not None and self.spiff_fate == "spec"


def _compile(xml: bytes, name: str) -> tuple[str | None, str]:
    try:
        plan = compile_bpmn(xml, source=name).plan
    except CompileError as err:
        return None, f"refused ({len(err.diagnostics)} diagnostics)"
    return plan.process_id, "plan"


def shenpi_samples(run: FileRun, repeats: int) -> None:
    xml = (CORPUS / run.name).read_bytes()
    _compile(xml, run.name)  # warm-up
    for _ in range(repeats):
        began = time.process_time()
        _compile(xml, run.name)
        run.shenpi.append(time.process_time() - began)


def spiff_samples(spiff: subprocess.Popen[str], run: FileRun, repeats: int) -> None:
    assert spiff.stdin is not None and spiff.stdout is not None
    job = {"path": str(CORPUS / run.name), "process_id": run.process_id, "repeats": repeats}
    spiff.stdin.write(json.dumps(job) + "\n")
    spiff.stdin.flush()
    found = json.loads(spiff.stdout.readline())
    run.spiff_fate = found["fate"]
    run.spiff.extend(found["seconds"])


def take_turns(python: Path, runs: list[FileRun], rounds: int, repeats: int) -> None:
    """Per round and file, SpiffWorkflow's samples and Shenpi's one after the other (who goes
    first alternates): the two see the same machine within milliseconds. Taking whole rounds in
    turn left the ratio at the mercy of this virtual machine's speed, which drifts by a factor
    of up to two from one second to the next."""
    spiff = subprocess.Popen(
        [str(python), str(SPIFF_SIDE)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        for round_no in range(rounds):
            for index, run in enumerate(runs):
                if (round_no + index) % 2:
                    spiff_samples(spiff, run, repeats)
                    shenpi_samples(run, repeats)
                else:
                    shenpi_samples(run, repeats)
                    spiff_samples(spiff, run, repeats)
    finally:
        assert spiff.stdin is not None
        spiff.stdin.close()
        spiff.wait()


def spiff_venv(where: Path, version: str) -> Path:
    python = where / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(where)], check=True)
        pip = [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check"]
        subprocess.run([*pip, f"SpiffWorkflow=={version}"], check=True)
    return python


def cold_runs(count: int) -> list[tuple[str, float, float]]:
    """Per file of processes/ (and `python -c pass`): the median wall clock of `shenpi compile X`
    as a new process, and the median CPU time (user + system) of that process, which a
    neighbour's job on the shared cores does not inflate. `--cold 0` skips them."""
    if count == 0:
        return []
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    commands = [("python -c pass", [sys.executable, "-c", "pass"])]
    for path in sorted((ROOT / "processes").glob("*.bpmn")) + sorted(
        (ROOT / "processes").glob("*.dmn")
    ):
        commands.append((f"shenpi compile {path.name}", [str(SHENPI), "compile", str(path)]))
    rows = []
    for label, command in commands:
        subprocess.run(command, env=env, capture_output=True, check=False)  # writes bytecode
        wall, cpu = [], []
        for _ in range(count):
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            began = time.perf_counter()
            subprocess.run(command, env=env, capture_output=True, check=False)
            wall.append(time.perf_counter() - began)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
        rows.append((label, statistics.median(wall), statistics.median(cpu)))
    return rows


def _ms(samples: list[float]) -> float:
    return 1000 * statistics.median(samples) if samples else float("nan")


def report(runs: list[FileRun], cold: list[tuple[str, float, float]]) -> str:
    both = [r for r in runs if r.both_run]
    shenpi_total = sum(_ms(r.shenpi) for r in both)
    spiff_total = sum(_ms(r.spiff) for r in both)
    per_file = [_ms(r.spiff) / _ms(r.shenpi) for r in both]
    lines = [
        f"Shenpi's compiler: {BUILD.why} (docs/architecture.md §7).",
        "",
        "| corpus file | Shenpi (ms) | Shenpi | SpiffWorkflow (ms) | SpiffWorkflow"
        " | Spiff / Shenpi |",
        "|---|---:|---|---:|---|---:|",
    ]
    for r in runs:
        ratio = f"{_ms(r.spiff) / _ms(r.shenpi):.2f}" if r.spiff else ""
        lines.append(
            f"| {r.name} | {_ms(r.shenpi):.2f} | {r.shenpi_fate} | {_ms(r.spiff):.2f} "
            f"| {r.spiff_fate} | {ratio} |"
        )
    lines += [
        "",
        f"Files both turn into a runnable process: {len(both)}.",
        f"Sum of medians: Shenpi {shenpi_total:.2f} ms, SpiffWorkflow {spiff_total:.2f} ms: "
        f"**{spiff_total / shenpi_total:.2f}x** (SpiffWorkflow time / Shenpi time).",
        f"Median per file: Shenpi {statistics.median(_ms(r.shenpi) for r in both):.2f} ms, "
        f"SpiffWorkflow {statistics.median(_ms(r.spiff) for r in both):.2f} ms; "
        f"median of the per-file ratios {statistics.median(per_file):.2f}x, "
        f"lowest {min(per_file):.2f}x.",
    ]
    if cold:
        lines += [
            "",
            "| cold, new process | wall clock (s, median) | CPU, user + system (s, median) |",
            "|---|---:|---:|",
        ]
        lines += [f"| `{label}` | {wall:.3f} | {cpu:.3f} |" for label, wall, cpu in cold]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=20, help="samples per file and round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--cold", type=int, default=7, help="runs per `shenpi compile` file")
    parser.add_argument("--spiff-version", default="3.2.0")
    parser.add_argument("--venv", type=Path, help="keep (and reuse) SpiffWorkflow's venv here")
    args = parser.parse_args()
    venv = args.venv or Path(tempfile.mkdtemp(prefix="shenpi-bench-spiff-"))
    try:
        python = spiff_venv(venv, args.spiff_version)
        runs = []
        for path in sorted(CORPUS.glob("*.bpmn")):
            process_id, fate = _compile(path.read_bytes(), path.name)
            runs.append(FileRun(path.name, process_id, fate))
        take_turns(python, runs, args.rounds, args.repeats)
    finally:
        if args.venv is None:
            shutil.rmtree(venv, ignore_errors=True)
    print(report(runs, cold_runs(args.cold)))


if __name__ == "__main__":
    main()
