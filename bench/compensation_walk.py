"""A compensation throw over many remembered multi-instance runs, without Temporal: the walk
that turns the remembered records into handlers runs inside one workflow task, so its cost at
1,000 to 10,000 instances is what matters (docs/interpreter.md "Multi-instance").

    python -m bench.compensation_walk

Each instance of a multi-instance subprocess remembered a reservation inside its own scope; the
throw reaches the body and runs one handler per instance.
"""

from __future__ import annotations

import statistics
import time
from types import SimpleNamespace
from typing import Any

from workflows import compensation


def _engine(instances: int) -> Any:
    records: list[dict[str, str | None]] = []
    for n in range(instances):
        records.append({"node_id": "reserve", "scope": f"s{n}", "inner": None})
        records.append({"node_id": "rooms", "scope": "multi:t3:1", "inner": f"s{n}"})
    records.append({"node_id": "rooms", "scope": None, "inner": "multi:t3:1"})
    # What the walk reads of an engine: the remembered records and the plan's handlers.
    index = SimpleNamespace(handlers={"reserve": "release"}, scope_handlers={})
    return SimpleNamespace(state=SimpleNamespace(compensable=records), index=index)


def walk(instances: int) -> float:
    """Seconds to find the handlers of a throw over ``instances`` remembered instances."""
    engine = _engine(instances)
    began = time.perf_counter()
    handlers = compensation.undo(engine, None, None)
    seconds = time.perf_counter() - began
    assert len(handlers) == instances and not engine.state.compensable
    return seconds


def main() -> None:
    for instances in (1_000, 5_000, 10_000):
        samples = [walk(instances) for _ in range(5)]
        print(f"{instances:>6} instances: median {1000 * statistics.median(samples):.1f} ms")


if __name__ == "__main__":
    main()
