"""The PNG chart: delivery throughput against in-flight limit for each client (log-log)."""

from __future__ import annotations

import pathlib
import statistics
from collections.abc import Mapping
from typing import Any


def render_chart(results: Mapping[str, Any], path: pathlib.Path) -> None:
    """Draws median notifications/s per in-flight limit, with min-max bars, one line per client.

    Needs matplotlib (``bench/.venv-tools``; see :mod:`bench.environments`).
    """
    import matplotlib  # noqa: PLC0415 - from the bench's own environment, loaded only here

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt  # noqa: PLC0415

    series: dict[str, Mapping[str, Any]] = {}
    if results.get("w0"):
        series["h2load (ceiling)"] = results["w0"]
    series.update(results["w2"])
    figure, axes = plt.subplots(figsize=(9, 5.5), dpi=120)
    for name, cells in series.items():
        levels = sorted(int(level) for level in cells)
        medians = [statistics.median(cells[str(level)]["rates"]) for level in levels]
        lows = [m - min(cells[str(level)]["rates"]) for m, level in zip(medians, levels, strict=True)]
        highs = [max(cells[str(level)]["rates"]) - m for m, level in zip(medians, levels, strict=True)]
        style = {"linestyle": "--", "color": "black"} if name.startswith("h2load") else {}
        axes.errorbar(levels, medians, yerr=[lows, highs], marker="o", capsize=3, label=name, **style)
    latency = results["settings"]["latency_ms"]
    ideal = [level / (latency / 1000) for level in results["settings"]["levels"]]
    axes.plot(results["settings"]["levels"], ideal, color="grey", linewidth=0.8, linestyle=":",
              label=f"in-flight ÷ {latency} ms")  # fmt: skip
    axes.set_xscale("log")
    axes.set_yscale("log")
    axes.set_xlabel("in-flight limit (streams on one HTTP/2 connection)")
    axes.set_ylabel("notifications per second (median)")
    axes.set_title(f"Delivery throughput, {latency} ms provider latency — {results['date']}")
    axes.grid(True, which="both", linewidth=0.3)
    axes.legend(loc="upper left", fontsize="small")
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path)
    plt.close(figure)
