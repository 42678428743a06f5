"""`make bench`: the BPMN interpreter against a hand-written Temporal workflow of the same shape.

Both run on one dev server in one run, each on a worker in its own process (so its CPU time is its
own), alternating rounds so drift on a noisy machine hits both. Prints a Markdown report and ends
with ``throughput ratio (interpreter / hand-written): X.XX``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from bench import scaling
from bench.corpus_compile import compile_times
from bench.driver import Variant, history_events, percentile, run_batch
from bpmn_compiler import compile_bpmn
from shenpi_core import search_attributes

HERE = Path(__file__).resolve().parent
BIN_DIR = Path(sys.executable).parent


def _cpu_seconds(pid: int) -> float:
    """utime + stime of a process, from /proc (clock ticks -> seconds)."""
    import os

    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


class WorkerProcess:
    def __init__(self, address: str, variant: str, task_queue: str) -> None:
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "bench.worker_proc",
                "--address",
                address,
                "--variant",
                variant,
                "--task-queue",
                task_queue,
            ],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline().strip()
        if line != "ready":
            raise RuntimeError(f"bench worker did not start: {line!r}")

    def cpu(self) -> float:
        return _cpu_seconds(self.proc.pid)

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=30)


async def measure(
    client: Client, address: str, variant: Variant, args: argparse.Namespace
) -> dict[str, Any]:
    task_queue = f"bench-{variant.name}-{uuid.uuid4().hex[:8]}"
    worker = WorkerProcess(address, variant.name, task_queue)
    try:
        await run_batch(client, variant, task_queue, args.warmup, args.concurrency)
        unloaded = await run_batch(client, variant, task_queue, args.unloaded, 1)
        cpu_before = worker.cpu()
        loaded = await run_batch(client, variant, task_queue, args.instances, args.concurrency)
        cpu = worker.cpu() - cpu_before
        events = await history_events(client, loaded.workflow_ids[:10])
    finally:
        worker.stop()
    return {
        "throughput": loaded.throughput,
        "unloaded_p50_ms": 1000 * percentile(unloaded.decision_latencies, 0.5),
        "unloaded_p99_ms": 1000 * percentile(unloaded.decision_latencies, 0.99),
        "saturated_p50_ms": 1000 * percentile(loaded.decision_latencies, 0.5),
        "saturated_p99_ms": 1000 * percentile(loaded.decision_latencies, 0.99),
        "history_events": events,
        "worker_cpu_ms_per_instance": 1000 * cpu / args.instances,
    }


def _median_of(rounds: list[dict[str, Any]], key: str) -> float:
    return float(statistics.median(r[key] for r in rounds))


async def bench(args: argparse.Namespace) -> dict[str, Any]:
    plan = compile_bpmn((HERE / "purchase-shape.bpmn").read_bytes()).plan
    variants = [
        Variant("handwritten", "bench-handwritten", plan),
        Variant("interpreter", plan.process_id, plan),
    ]
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=str(BIN_DIR / "temporal"),
        data_converter=pydantic_data_converter,
        search_attributes=search_attributes.ALL,
    )
    try:
        client = env.client
        address = client.service_client.config.target_host
        rounds: dict[str, list[dict[str, Any]]] = {v.name: [] for v in variants}
        for _ in range(args.rounds):
            for variant in variants:
                rounds[variant.name].append(await measure(client, address, variant, args))
        # Horizontal scaling: the interpreter with one and with two worker processes.
        workers = await scaling.measure_workers(client, address, variants[1], args)
    finally:
        await env.shutdown()
    keys = list(next(iter(rounds.values()))[0])
    return {
        "config": vars(args),
        "rounds": rounds,
        "median": {name: {k: _median_of(rs, k) for k in keys} for name, rs in rounds.items()},
        "worker_scaling": workers,
    }


def report(results: dict[str, Any], corpus: list[tuple[str, float, str]]) -> str:
    med = results["median"]
    hw, it = med["handwritten"], med["interpreter"]
    rows = [
        ("instances/s", "throughput", "{:.1f}"),
        ("decision latency p50, unloaded (ms)", "unloaded_p50_ms", "{:.1f}"),
        ("decision latency p99, unloaded (ms)", "unloaded_p99_ms", "{:.1f}"),
        ("decision latency p50, saturated (ms)", "saturated_p50_ms", "{:.1f}"),
        ("decision latency p99, saturated (ms)", "saturated_p99_ms", "{:.1f}"),
        ("history events per instance", "history_events", "{:.0f}"),
        ("worker CPU per instance (ms)", "worker_cpu_ms_per_instance", "{:.2f}"),
    ]
    cfg = results["config"]
    lines = [
        f"Instances per round: {cfg['instances']} (concurrency {cfg['concurrency']}), "
        f"unloaded samples: {cfg['unloaded']}, rounds: {cfg['rounds']} (medians shown).",
        "",
        "| metric | interpreter | hand-written | ratio |",
        "|---|---|---|---|",
    ]
    for label, key, fmt in rows:
        ratio = it[key] / hw[key] if hw[key] else float("nan")
        lines.append(f"| {label} | {fmt.format(it[key])} | {fmt.format(hw[key])} | {ratio:.2f} |")
    lines += ["", scaling.report(results["worker_scaling"])]
    lines += ["", "| corpus file | compile time (ms, median) | result |", "|---|---|---|"]
    lines += [f"| {name} | {ms:.2f} | {fate} |" for name, ms, fate in corpus]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--instances", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=100)
    parser.add_argument("--unloaded", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--out", type=Path, default=HERE / "out" / "results.json")
    args = parser.parse_args()
    began = time.perf_counter()
    results = asyncio.run(bench(args))
    corpus = compile_times()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(
        json.dumps(
            {**results, "config": {**results["config"], "out": str(args.out)}, "corpus": corpus},
            indent=2,
            default=str,
        )
    )
    print(report(results, corpus))
    print(f"\n(bench took {time.perf_counter() - began:.0f} s; raw results in {args.out})")
    med = results["median"]
    ratio = med["interpreter"]["throughput"] / med["handwritten"]["throughput"]
    print(f"throughput ratio (interpreter / hand-written): {ratio:.2f}")


if __name__ == "__main__":
    main()
