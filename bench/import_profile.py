"""Where a function's import time goes: ``python -X importtime`` read back and summed.

``-X importtime`` writes one line per imported module with its own (self) and cumulative time, in
microseconds, children before their parent. :func:`summarize` sums the self times by package (the
top-level package; ``pushgate`` by its subpackage, which is where the layer's own choices show)
and lists the function's own first-level imports by their cumulative time.
"""

from __future__ import annotations

import re
import statistics
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

_LINE = re.compile(r"^import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)\s*$")


@dataclass(frozen=True)
class ImportLine:
    """One module of an ``-X importtime`` report (times in µs; depth 0 is imported by ``app`` itself)."""

    name: str
    self_us: int
    cumulative_us: int
    depth: int


def parse_importtime(stderr: str) -> list[ImportLine]:
    """The modules of one ``-X importtime`` report, in the order Python printed them."""
    lines = []
    for raw in stderr.splitlines():
        match = _LINE.match(raw)
        if match:
            self_us, cumulative_us, indent, name = int(match[1]), int(match[2]), len(match[3]), match[4]
            lines.append(ImportLine(name, self_us, cumulative_us, (indent - 1) // 2))
    return lines


def package_of(module: str) -> str:
    """The package a module's time is counted under (``pushgate.api``, ``botocore``)."""
    parts = module.split(".")
    if parts[0] == "pushgate" and len(parts) > 1:
        return ".".join(parts[:2])
    return parts[0]


def self_time_by_package(lines: Iterable[ImportLine]) -> dict[str, float]:
    """Self time in ms summed by package."""
    totals: dict[str, float] = defaultdict(float)
    for line in lines:
        totals[package_of(line.name)] += line.self_us / 1000
    return dict(totals)


def direct_imports(lines: Iterable[ImportLine], root: str = "app") -> dict[str, float]:
    """Cumulative ms of each module ``root`` imported first (what the handler's own imports cost)."""
    found: list[ImportLine] = list(lines)
    try:
        end = max(i for i, line in enumerate(found) if line.name == root)
    except ValueError:
        return {}
    depth = found[end].depth + 1
    start = end
    while start > 0 and found[start - 1].depth >= depth:
        start -= 1
    return {line.name: line.cumulative_us / 1000 for line in found[start:end] if line.depth == depth}


def summarize(reports: Sequence[str], top: int = 8) -> dict[str, dict[str, float]]:
    """Medians over several ``-X importtime`` reports of one function: the top packages by self time
    and the top first-level imports of ``app`` by cumulative time, in ms."""
    parsed = [parse_importtime(report) for report in reports]

    def medians(tables: list[dict[str, float]]) -> dict[str, float]:
        names = {name for table in tables for name in table}
        values = {name: statistics.median(table.get(name, 0.0) for table in tables) for name in names}
        return dict(sorted(values.items(), key=lambda item: -item[1])[:top])

    return {
        "packages": medians([self_time_by_package(lines) for lines in parsed]),
        "imports": medians([direct_imports(lines) for lines in parsed]),
    }
