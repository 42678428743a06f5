"""Field accuracy: the share of truth fields read exactly, per document form (tests and bench)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Tally:
    exact: int = 0
    total: int = 0
    misses: list[str] = field(default_factory=list)

    def add(self, truth: Mapping[str, Any], read: Mapping[str, Any]) -> None:
        for name, value in truth.items():
            self.total += 1
            if read.get(name) == value:
                self.exact += 1
            else:
                self.misses.append(f"{name}: {read.get(name)!r} != {value!r}")

    @property
    def accuracy(self) -> float:
        return self.exact / self.total if self.total else 0.0


def table(rows: Sequence[tuple[str, str, Tally]], extra: Mapping[str, str] | None = None) -> str:
    """A plain-text table: kind, form, fields exact / total, accuracy (and one extra column)."""
    head = f"{'kind':<12} {'form':<14} {'exact':>9} {'accuracy':>9}"
    if extra is not None:
        head += f" {'pages/s':>8}"
    lines = [head, "-" * len(head)]
    for kind, form, tally in rows:
        line = f"{kind:<12} {form:<14} {tally.exact:>4}/{tally.total:<4} {tally.accuracy:>9.1%}"
        if extra is not None:
            line += f" {extra.get(f'{kind}/{form}', ''):>8}"
        lines.append(line)
    return "\n".join(lines)
