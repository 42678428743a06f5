"""Compile time per file of the real-world BPMN corpus (median of repeated compiles)."""

from __future__ import annotations

import statistics
import time
from pathlib import Path

from bpmn_compiler import CompileError, compile_bpmn

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "bpmn-corpus"


def compile_times(repeats: int = 20) -> list[tuple[str, float, str]]:
    rows: list[tuple[str, float, str]] = []
    for path in sorted(CORPUS.glob("*.bpmn")):
        xml = path.read_bytes()
        samples: list[float] = []
        fate = "compiled"
        for _ in range(repeats):
            began = time.perf_counter()
            try:
                compile_bpmn(xml, source=path.name)
            except CompileError as err:
                fate = f"refused ({len(err.diagnostics)} diagnostics)"
            samples.append(time.perf_counter() - began)
        rows.append((path.name, 1000 * statistics.median(samples), fate))
    return rows
