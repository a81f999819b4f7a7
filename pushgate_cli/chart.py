"""The `--chart` of `pushgate insights`: a grouped bar chart per day, written as SVG by hand.

No plotting library: matplotlib and its numeric stack would be the CLI's heaviest dependency by far
for one picture, and SVG opens in every browser and embeds in Markdown.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from typing import Any

SERIES = (("Sent", "#4c78a8"), ("UniqueOpens", "#f58518"), ("UniqueClicks", "#54a24b"))
WIDTH, HEIGHT = 900, 420
LEFT, RIGHT, TOP, BOTTOM = 60, 20, 50, 70


def insights_svg(title: str, days: Sequence[dict[str, Any]]) -> str:
    """An SVG document: for each day, one bar per series (sent, unique opens, unique clicks)."""
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    peak = max([int(day.get(name) or 0) for day in days for name, _ in SERIES] + [1])
    scale = _nice_ceiling(peak)
    slot = plot_w / max(len(days), 1)
    bar = max(slot * 0.8 / len(SERIES), 1.0)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" font-family="sans-serif" font-size="12">',
        f'<rect width="{WIDTH}" height="{HEIGHT}" fill="white"/>',
        f'<text x="{LEFT}" y="24" font-size="16" font-weight="bold">{escape(title)}</text>',
    ]
    for step in range(5):
        value = scale * step / 4
        y = TOP + plot_h - plot_h * step / 4
        parts.append(f'<line x1="{LEFT}" y1="{y:.1f}" x2="{WIDTH - RIGHT}" y2="{y:.1f}" stroke="#ddd"/>')
        parts.append(f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{value:g}</text>')
    for index, day in enumerate(days):
        x0 = LEFT + slot * index + slot * 0.1
        for offset, (name, color) in enumerate(SERIES):
            value = int(day.get(name) or 0)
            height = plot_h * value / scale
            x = x0 + bar * offset
            parts.append(
                f'<rect x="{x:.1f}" y="{TOP + plot_h - height:.1f}" width="{bar:.1f}" height="{height:.1f}" '
                f'fill="{color}"><title>{escape(str(day.get("Day")))} {name}: {value}</title></rect>'
            )
        label_x = LEFT + slot * index + slot / 2
        label_y = TOP + plot_h + 16
        parts.append(
            f'<text x="{label_x:.1f}" y="{label_y}" text-anchor="end" '
            f'transform="rotate(-45 {label_x:.1f} {label_y})">{escape(str(day.get("Day", "")))}</text>'
        )
    for offset, (name, color) in enumerate(SERIES):
        x = LEFT + 150 * offset
        parts.append(f'<rect x="{x}" y="{HEIGHT - 18}" width="12" height="12" fill="{color}"/>')
        parts.append(f'<text x="{x + 18}" y="{HEIGHT - 8}">{name}</text>')
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def _nice_ceiling(value: int) -> float:
    """The axis top: 1, 2, 2.5 or 5 times a power of ten, at least ``value``."""
    magnitude = 1
    while magnitude * 10 <= value:
        magnitude *= 10
    for factor in (1, 2, 2.5, 5, 10):
        if factor * magnitude >= value:
            return float(factor * magnitude)
    return float(10 * magnitude)
