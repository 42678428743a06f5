"""`make bench`: the BPMN interpreter against a hand-written Temporal workflow of the same shape.

Both run on one dev server in one run, each on a worker in its own process (so its CPU time is its
own), alternating rounds so drift on a noisy machine hits both. Each runs twice per round: payloads
plain, and encrypted by the payload codec (client and worker), so the codec's cost shows against
the same baseline. A second shape (``bench/scoped.py``: inclusive split and join, a subprocess under
a boundary timer) runs in the same rounds, payloads plain. Prints a Markdown report and ends with
the plain shape's ``throughput ratio (interpreter / hand-written): X.XX``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
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

from bench import scaling, scoped
from bench.codec_cost import codec_cost
from bench.corpus_compile import compile_times
from bench.driver import CODEC_SUFFIX, Variant, history_events, percentile, run_batch
from bench.worker_proc import KEYS_ENV
from bpmn_compiler import compile_bpmn
from shenpi.payload_codec import data_converter_for
from shenpi.payload_keys import KeyRing, new_key_entry
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
    def __init__(self, address: str, variant: str, task_queue: str, keys: str | None) -> None:
        env = {**os.environ, KEYS_ENV: keys} if keys else None
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
            env=env,
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
    client: Client, address: str, variant: Variant, args: argparse.Namespace, keys: str | None
) -> dict[str, Any]:
    metrics, _ = await measure_with_ids(client, address, variant, args, keys)
    return metrics


async def measure_with_ids(
    client: Client, address: str, variant: Variant, args: argparse.Namespace, keys: str | None
) -> tuple[dict[str, Any], list[str]]:
    """The metrics of one variant in one round, and the ids of its saturated batch's instances
    (whose histories stay on the server for a closer look)."""
    task_queue = f"bench-{variant.code}-{uuid.uuid4().hex[:8]}"
    worker = WorkerProcess(address, variant.code, task_queue, keys)
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
    }, loaded.workflow_ids


def _median_of(rounds: list[dict[str, Any]], key: str) -> float:
    return float(statistics.median(r[key] for r in rounds))


async def bench(args: argparse.Namespace) -> dict[str, Any]:
    plan = compile_bpmn((HERE / "purchase-shape.bpmn").read_bytes()).plan
    plain = [
        Variant("handwritten", "bench-handwritten", plan),
        Variant("interpreter", plan.process_id, plan),
    ]
    variants = plain + [
        Variant(v.name + CODEC_SUFFIX, v.workflow_type, plan, encrypted=True) for v in plain
    ]
    key_entry = new_key_entry("bench")  # a throwaway key: what is measured is the cipher's work
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=str(BIN_DIR / "temporal"),
        data_converter=pydantic_data_converter,
        search_attributes=search_attributes.ALL,
    )
    try:
        config = env.client.config()
        config["data_converter"] = data_converter_for(KeyRing.parse(key_entry))
        clients = {False: env.client, True: Client(**config)}
        address = env.client.service_client.config.target_host
        rounds: dict[str, list[dict[str, Any]]] = {v.name: [] for v in variants}
        scoped_rounds: list[dict[str, dict[str, Any]]] = []
        for _ in range(args.rounds):
            for variant in variants:
                client = clients[variant.encrypted]
                keys = key_entry if variant.encrypted else None
                rounds[variant.name].append(await measure(client, address, variant, args, keys))
            # The second shape in the same round, so the same drift hits it.
            scoped_rounds.append(await scoped.measure_round(clients[False], address, args))
        # Horizontal scaling: the interpreter with one and with two worker processes.
        interpreter = next(v for v in variants if v.name == "interpreter")
        workers = await scaling.measure_workers(clients[False], address, interpreter, args)
    finally:
        await env.shutdown()
    metrics = list(next(iter(rounds.values()))[0])
    return {
        "config": vars(args),
        "codec": await codec_cost(plan),
        "rounds": rounds,
        "median": {name: {k: _median_of(rs, k) for k in metrics} for name, rs in rounds.items()},
        "worker_scaling": workers,
        "scoped": scoped.summarise(scoped_rounds),
    }


ROWS = [
    ("instances/s", "throughput", "{:.1f}"),
    ("decision latency p50, unloaded (ms)", "unloaded_p50_ms", "{:.1f}"),
    ("decision latency p99, unloaded (ms)", "unloaded_p99_ms", "{:.1f}"),
    ("decision latency p50, saturated (ms)", "saturated_p50_ms", "{:.1f}"),
    ("decision latency p99, saturated (ms)", "saturated_p99_ms", "{:.1f}"),
    ("history events per instance", "history_events", "{:.0f}"),
    ("worker CPU per instance (ms)", "worker_cpu_ms_per_instance", "{:.2f}"),
]


def _ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}" if b else "nan"


def cells(it: dict[str, float], hw: dict[str, float], key: str, fmt: str) -> str:
    """``| interpreter | hand-written | ratio`` of one metric."""
    return f"| {fmt.format(it[key])} | {fmt.format(hw[key])} | {_ratio(it[key], hw[key])}"


def report(results: dict[str, Any], corpus: list[tuple[str, float, str]]) -> str:
    med = results["median"]
    hw, it = med["handwritten"], med["interpreter"]
    cfg = results["config"]
    lines = [
        f"Instances per round: {cfg['instances']} (concurrency {cfg['concurrency']}), "
        f"unloaded samples: {cfg['unloaded']}, rounds: {cfg['rounds']} (medians shown).",
        "",
        "| metric | interpreter | hand-written | ratio |",
        "|---|---|---|---|",
    ]
    lines += [f"| {label} {cells(it, hw, key, fmt)} |" for label, key, fmt in ROWS]
    lines += ["", *_codec_report(med, results["codec"])]
    lines += ["", scoped.report(results["scoped"])]
    lines += ["", scaling.report(results["worker_scaling"])]
    lines += ["", "| corpus file | compile time (ms, median) | result |", "|---|---|---|"]
    lines += [f"| {name} | {ms:.2f} | {fate} |" for name, ms, fate in corpus]
    return "\n".join(lines)


def _codec_report(med: dict[str, dict[str, float]], alone: dict[str, float]) -> list[str]:
    """Both variants with payloads encrypted: the ratio between them, and what the codec costs."""
    hw, it = med["handwritten" + CODEC_SUFFIX], med["interpreter" + CODEC_SUFFIX]
    lines = [
        "Payload codec (AES-256-GCM on client and worker), both variants encrypted:",
        "",
        "| metric | interpreter | hand-written | ratio | codec cost, interpreter | codec cost,"
        " hand-written |",
        "|---|---|---|---|---|---|",
    ]
    for label, key, fmt in ROWS:
        lines.append(
            f"| {label} {cells(it, hw, key, fmt)}"
            f" | {_ratio(it[key], med['interpreter'][key])}"
            f" | {_ratio(hw[key], med['handwritten'][key])} |"
        )
    lines += [
        "",
        f"The codec alone: encrypting and decrypting the start input ({alone['payload_bytes']:.0f}"
        f" bytes) takes {alone['round_trip_us']:.0f} µs.",
    ]
    return lines


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
    scoped_med = results["scoped"]["median"]
    second = scoped_med["interpreter"]["throughput"] / scoped_med["handwritten"]["throughput"]
    print(f"throughput ratio, scoped shape (interpreter / hand-written): {second:.2f}")
    med = results["median"]
    codec = (
        med["interpreter" + CODEC_SUFFIX]["throughput"]
        / med["handwritten" + CODEC_SUFFIX]["throughput"]
    )
    print(f"throughput ratio, payloads encrypted (interpreter / hand-written): {codec:.2f}")
    ratio = med["interpreter"]["throughput"] / med["handwritten"]["throughput"]
    print(f"throughput ratio (interpreter / hand-written): {ratio:.2f}")


if __name__ == "__main__":
    main()
