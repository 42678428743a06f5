"""SpiffWorkflow's side of `bench.compiler`: run by the throwaway virtualenv's Python, never
imported by the project (SpiffWorkflow is not one of its dependencies).

Reads `{"files": [[path, process_id or null], ...], "repeats": n}` on stdin and prints, per file,
the seconds of each of `repeats` reads after one warm-up, or why SpiffWorkflow refused it. A read
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


def timed(path: str, process_id: str | None, repeats: int) -> dict[str, Any]:
    xml, name = Path(path).read_bytes(), Path(path).name
    try:
        specs = read(xml, name, process_id)
    except Exception as err:  # SpiffWorkflow's ValidationException and whatever else it raises
        return {"fate": f"refused ({type(err).__name__})", "seconds": []}
    samples = []
    for _ in range(repeats):
        began = time.process_time()
        read(xml, name, process_id)
        samples.append(time.process_time() - began)
    return {"fate": "spec" if specs else "no executable process", "seconds": samples}


def main() -> None:
    job = json.load(sys.stdin)
    out = {path: timed(path, pid, job["repeats"]) for path, pid in job["files"]}
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
