"""The second bench shape: an inclusive split and join, and a subprocess under a boundary timer.

``scoped-shape.bpmn`` on the interpreter against ``bench/handwritten_scoped.py``, driven exactly as
the plain shape (same driver, same worker processes, same metrics, alternating within a round).
Part of `make bench`, whose last line stays the plain shape's; alone:
``python -m bench.scoped [--instances N] [--rounds R]``. Besides the medians it counts the history
events of one instance of each variant by type, which is where a difference in events comes from.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from temporalio.api.enums.v1 import EventType
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from bench.driver import PLAIN_VARIABLES, Variant
from bpmn_compiler import compile_bpmn
from shenpi_core import search_attributes

HERE = Path(__file__).resolve().parent
BIN_DIR = Path(sys.executable).parent
# Two of the split's three branches taken (amount > 1000 and needs_legal), so the join waits for
# two concurrent activities and the interpreter must see that the third token never comes.
SCOPED_VARIABLES: dict[str, Any] = {
    **PLAIN_VARIABLES,
    "amount": 5000,
    "needs_legal": True,
    "needs_it": False,
}


def variants() -> list[Variant]:
    plan = compile_bpmn((HERE / "scoped-shape.bpmn").read_bytes()).plan
    return [
        Variant("handwritten", "bench-handwritten-scoped", plan, variables=SCOPED_VARIABLES),
        Variant("interpreter", plan.process_id, plan, variables=SCOPED_VARIABLES),
    ]


async def event_types(client: Client, workflow_id: str) -> dict[str, int]:
    """One instance's history events by type (``ACTIVITY_TASK_SCHEDULED``: 2, ...)."""
    history = await client.get_workflow_handle(workflow_id).fetch_history()
    counts = Counter(
        EventType.Name(e.event_type).removeprefix("EVENT_TYPE_") for e in history.events
    )
    return dict(sorted(counts.items()))


async def measure_round(
    client: Client, address: str, args: argparse.Namespace
) -> dict[str, dict[str, Any]]:
    """One round: each variant in turn, its metrics and the event types of one of its instances."""
    from bench.run import measure_with_ids

    measured: dict[str, dict[str, Any]] = {}
    for variant in variants():
        metrics, ids = await measure_with_ids(client, address, variant, args, None)
        measured[variant.name] = {**metrics, "event_types": await event_types(client, ids[0])}
    return measured


def summarise(rounds: list[dict[str, dict[str, Any]]]) -> dict[str, Any]:
    """Medians over the rounds per variant and metric; event types of the last round."""
    names = list(rounds[0])
    metrics = [k for k in rounds[0][names[0]] if k != "event_types"]
    return {
        "rounds": rounds,
        "median": {
            name: {k: float(statistics.median(r[name][k] for r in rounds)) for k in metrics}
            for name in names
        },
        "event_types": {name: rounds[-1][name]["event_types"] for name in names},
    }


def report(scoped: dict[str, Any]) -> str:
    from bench.run import ROWS, cells

    hw, it = scoped["median"]["handwritten"], scoped["median"]["interpreter"]
    lines = [
        "Second shape (`scoped-shape.bpmn`: inclusive split, 2 of 3 branches, each a `notify`;"
        " inclusive join; a subprocess holding the decision under a P3D boundary timer):",
        "",
        "| metric | interpreter | hand-written | ratio |",
        "|---|---|---|---|",
    ]
    lines += [f"| {label} {cells(it, hw, key, fmt)} |" for label, key, fmt in ROWS]
    types = scoped["event_types"]
    names = sorted(set(types["interpreter"]) | set(types["handwritten"]))
    lines += [
        "",
        "History events of one instance by type:",
        "",
        "| event type | interpreter | hand-written |",
        "|---|---|---|",
    ]
    lines += [
        f"| {n} | {types['interpreter'].get(n, 0)} | {types['handwritten'].get(n, 0)} |"
        for n in names
    ]
    return "\n".join(lines)


async def _main(args: argparse.Namespace) -> dict[str, Any]:
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=str(BIN_DIR / "temporal"),
        data_converter=pydantic_data_converter,
        search_attributes=search_attributes.ALL,
    )
    try:
        address = env.client.service_client.config.target_host
        rounds = [await measure_round(env.client, address, args) for _ in range(args.rounds)]
    finally:
        await env.shutdown()
    return summarise(rounds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--instances", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=100)
    parser.add_argument("--unloaded", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    scoped = asyncio.run(_main(args))
    print(report(scoped))
    med = scoped["median"]
    ratio = med["interpreter"]["throughput"] / med["handwritten"]["throughput"]
    by_round = [{name: round(r[name]["throughput"], 2) for name in r} for r in scoped["rounds"]]
    print(f"instances/s by round: {by_round}")
    print(f"throughput ratio, scoped shape (interpreter / hand-written): {ratio:.2f}")


if __name__ == "__main__":
    main()
