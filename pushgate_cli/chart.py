"""The `--chart` of `pushgate insights`: a grouped bar chart per day, as SVG or PNG.

The layout is computed once (`_layout`) and drawn twice: SVG by hand (it opens in every browser and
embeds in Markdown), PNG with Pillow (for chat and tickets). matplotlib and its numeric stack would
be the CLI's heaviest dependency by far for one picture.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape
from typing import Any

SERIES = (("Sent", "#4c78a8"), ("UniqueOpens", "#f58518"), ("UniqueClicks", "#54a24b"))
WIDTH, HEIGHT = 900, 420
LEFT, RIGHT, TOP, BOTTOM = 60, 20, 50, 70
#: Chart file types `--chart` writes, by suffix.
FORMATS = (".svg", ".png")


@dataclass(frozen=True)
class _Bar:
    x: float
    y: float
    width: float
    height: float
    color: str
    label: str


@dataclass(frozen=True)
class _Layout:
    gridlines: list[tuple[float, str]]  # (y, value label)
    bars: list[_Bar]
    day_labels: list[tuple[float, str]]  # (x, day)
    plot_bottom: float


def _layout(days: Sequence[dict[str, Any]]) -> _Layout:
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    peak = max([int(day.get(name) or 0) for day in days for name, _ in SERIES] + [1])
    step = _nice_step(peak)
    ticks = -(-peak // step)  # the axis ends on the first tick at or above the peak
    scale = step * ticks
    slot = plot_w / max(len(days), 1)
    bar = max(slot * 0.8 / len(SERIES), 1.0)
    gridlines = [(TOP + plot_h - plot_h * tick / ticks, f"{step * tick:,}") for tick in range(ticks + 1)]
    bars = []
    labels = []
    for index, day in enumerate(days):
        x0 = LEFT + slot * index + slot * 0.1
        for offset, (name, color) in enumerate(SERIES):
            value = int(day.get(name) or 0)
            height = plot_h * value / scale
            bars.append(
                _Bar(x0 + bar * offset, TOP + plot_h - height, bar, height, color, f"{day.get('Day')} {name}: {value}")
            )
        labels.append((LEFT + slot * index + slot / 2, str(day.get("Day", ""))))
    return _Layout(gridlines, bars, labels, TOP + plot_h)


def insights_svg(title: str, days: Sequence[dict[str, Any]]) -> str:
    """An SVG document: for each day, one bar per series (sent, unique opens, unique clicks)."""
    layout = _layout(days)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" font-family="sans-serif" font-size="12">',
        f'<rect width="{WIDTH}" height="{HEIGHT}" fill="white"/>',
        f'<text x="{LEFT}" y="24" font-size="16" font-weight="bold">{escape(title)}</text>',
    ]
    for y, value in layout.gridlines:
        parts.append(f'<line x1="{LEFT}" y1="{y:.1f}" x2="{WIDTH - RIGHT}" y2="{y:.1f}" stroke="#ddd"/>')
        parts.append(f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{value}</text>')
    for bar in layout.bars:
        parts.append(
            f'<rect x="{bar.x:.1f}" y="{bar.y:.1f}" width="{bar.width:.1f}" height="{bar.height:.1f}" '
            f'fill="{bar.color}"><title>{escape(bar.label)}</title></rect>'
        )
    label_y = layout.plot_bottom + 16
    for x, day in layout.day_labels:
        parts.append(
            f'<text x="{x:.1f}" y="{label_y}" text-anchor="end" '
            f'transform="rotate(-45 {x:.1f} {label_y})">{escape(day)}</text>'
        )
    for offset, (name, color) in enumerate(SERIES):
        x = LEFT + 150 * offset
        parts.append(f'<rect x="{x}" y="{HEIGHT - 18}" width="12" height="12" fill="{color}"/>')
        parts.append(f'<text x="{x + 18}" y="{HEIGHT - 8}">{name}</text>')
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def insights_png(title: str, days: Sequence[dict[str, Any]]) -> bytes:
    """The same chart as a PNG (Pillow's built-in font; day labels as MM-DD, spaced to stay legible)."""
    # Imported here: Pillow is a tenth of every command's start, and only a PNG chart needs it.
    from PIL import Image, ImageDraw, ImageFont  # noqa: PLC0415

    layout = _layout(days)
    image = Image.new("RGB", (WIDTH, HEIGHT), "white")
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=12)
    draw.text((LEFT, 12), title, fill="black", font=ImageFont.load_default(size=16))
    for y, value in layout.gridlines:
        draw.line([(LEFT, y), (WIDTH - RIGHT, y)], fill="#dddddd")
        draw.text((LEFT - 6, y), value, fill="black", font=font, anchor="rm")
    for bar in layout.bars:
        if bar.height > 0:
            draw.rectangle([bar.x, bar.y, bar.x + bar.width - 1, layout.plot_bottom], fill=bar.color)
    every = max(1, -(-len(layout.day_labels) // 12))  # at most about 12 labels
    for index, (x, day) in enumerate(layout.day_labels):
        if index % every == 0:
            draw.text((x, layout.plot_bottom + 6), day[5:] or day, fill="black", font=font, anchor="mt")
    for offset, (name, color) in enumerate(SERIES):
        x = LEFT + 150 * offset
        draw.rectangle([x, HEIGHT - 18, x + 12, HEIGHT - 6], fill=color)
        draw.text((x + 18, HEIGHT - 12), name, fill="black", font=font, anchor="lm")
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def write_chart(path: Any, title: str, days: Sequence[dict[str, Any]]) -> None:
    """Writes the chart in the format the path's suffix names (``.svg`` or ``.png``)."""
    if path.suffix.lower() == ".png":
        path.write_bytes(insights_png(title, days))
    else:
        path.write_text(insights_svg(title, days), encoding="utf-8")


def _nice_step(peak: int) -> int:
    """The gap between ticks: 1, 2 or 5 times a power of ten, giving at most 5 ticks above zero.

    Counts are whole numbers, so every tick is one (never 1.25 or 2.5).
    """
    magnitude = 1
    while True:
        for factor in (1, 2, 5):
            step = factor * magnitude
            if step * 5 >= peak:
                return step
        magnitude *= 10
