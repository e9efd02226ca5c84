"""Plain-text tables for figures printed by `main.py eval` and the benchmarks."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

METRIC_COLS = ("n", "fraud", "benign", "recall", "precision", "fpr", "f1", "type_acc")


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    cells = [[str(h) for h in headers]] + [["-" if c is None else str(c) for c in r] for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    lines = ["  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths, strict=True)))
             for r in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def metrics_table(data: Mapping[str, Mapping[str, Any]]) -> str:
    return table(["slice", *METRIC_COLS], [[k, *(v.get(c) for c in METRIC_COLS)] for k, v in data.items()])
