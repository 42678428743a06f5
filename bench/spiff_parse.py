"""SpiffWorkflow's side of `bench.compiler`: run by the throwaway virtualenv's Python, never
imported by the project (SpiffWorkflow is not one of its dependencies).

Serves `bench.compiler` line by line, so the two sides take turns file by file and see the same
machine: each line on stdin is `{"path": ..., "process_id": id or null, "repeats": n}`, each line
on stdout the seconds of `n` reads of that file (after one warm-up, the first time the file is
asked for), or why SpiffWorkflow refused it. A read
is what a SpiffWorkflow user does before running a process: `BpmnParser().add_bpmn_str(xml)`,
then `get_spec(id)` and `get_subprocess_specs(id)` (the specs a `BpmnWorkflow` needs). With no
id (a file Shenpi refuses) it reads every executable process SpiffWorkflow finds.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

from SpiffWorkflow.bpmn.parser.BpmnParser import BpmnParser


def read(xml: bytes, name: str, process_id: str | None) -> int:
    parser = BpmnParser()
    parser.add_bpmn_str(xml, filename=name)
    ids = [process_id] if process_id is not None else parser.get_process_ids()
    for one in ids:
        parser.get_spec(one)
        parser.get_subprocess_specs(one)
    return len(ids)


_WARM: dict[str, dict[str, Any]] = {}  # path -> the fate of its warm-up read


def timed(path: str, process_id: str | None, repeats: int) -> dict[str, Any]:
    xml, name = Path(path).read_bytes(), Path(path).name
    if path not in _WARM:
        try:
            specs = read(xml, name, process_id)
            _WARM[path] = {"fate": "spec" if specs else "no executable process"}
        except Exception as err:  # SpiffWorkflow's ValidationException and whatever else
            _WARM[path] = {"fate": f"refused ({type(err).__name__})"}
    if _WARM[path]["fate"].startswith("refused"):
        return {**_WARM[path], "seconds": []}
    samples = []
    for _ in range(repeats):
        began = time.process_time()
        read(xml, name, process_id)
        samples.append(time.process_time() - began)
    return {**_WARM[path], "seconds": samples}


def main() -> None:
    for line in sys.stdin:
        job = json.loads(line)
        print(json.dumps(timed(job["path"], job["process_id"], job["repeats"])), flush=True)


if __name__ == "__main__":
    main()
