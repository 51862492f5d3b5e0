"""Small server-side SVG charts for the monitoring page (no JavaScript, no plotting library).

Pure functions of numbers and labels, so the markup is tested without a browser.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf")
WIDTH, HEIGHT = 640, 240
LEFT, RIGHT, TOP, BOTTOM = 48, 28, 28, 58


@dataclass
class Series:
    name: str
    values: list[float | None]  # one per x label; None = no data that week
    low: list[float | None] | None = None  # optional band (e.g. 25th percentile)
    high: list[float | None] | None = None


def _x(i: int, n: int) -> float:
    span = WIDTH - LEFT - RIGHT
    return LEFT + (span * i / (n - 1) if n > 1 else span / 2)


def _y(value: float, y_min: float, y_max: float) -> float:
    span = HEIGHT - TOP - BOTTOM
    fraction = (value - y_min) / (y_max - y_min) if y_max > y_min else 0.0
    return TOP + span * (1 - min(1.0, max(0.0, fraction)))


def line_chart(
    *,
    title: str,
    x_labels: list[str],
    series: list[Series],
    y_min: float,
    y_max: float,
    y_ticks: list[float],
    y_format: str = "{:.0%}",
    markers: list[tuple[float, str]] = (),
) -> str:
    """Lines (with optional shaded bands) per series over weekly x labels; vertical marker lines
    (e.g. activations) at fractional x positions. Gaps where a value is None."""
    n = len(x_labels)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" height="{HEIGHT}" '
        f'role="img" aria-label="{escape(title)}" class="registry-chart">',
        f'<text x="{LEFT}" y="16" font-size="13" font-weight="bold">{escape(title)}</text>',
    ]
    for tick in y_ticks:
        y = _y(tick, y_min, y_max)
        parts.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" stroke="#ddd"/>')
        parts.append(
            f'<text x="{LEFT - 6}" y="{y + 4:.1f}" font-size="10" text-anchor="end">{escape(y_format.format(tick))}</text>'
        )
    step = max(1, n // 8)
    for i, label in enumerate(x_labels):
        if i % step == 0 or i == n - 1:
            parts.append(
                f'<text x="{_x(i, n):.1f}" y="{HEIGHT - BOTTOM + 16}" font-size="10" text-anchor="middle">{escape(label)}</text>'
            )
    for position, label in markers:
        if n:
            span = WIDTH - LEFT - RIGHT
            x = LEFT + (span * position / (n - 1) if n > 1 else span / 2)
            parts.append(
                f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{TOP}" y2="{HEIGHT - BOTTOM}" stroke="#888" stroke-dasharray="3,3">'
                f"<title>{escape(label)}</title></line>"
            )
    for k, s in enumerate(series):
        color = PALETTE[k % len(PALETTE)]
        if s.low is not None and s.high is not None:
            for segment in _segments(list(zip(s.low, s.high, strict=True))):
                top = [f"{_x(i, n):.1f},{_y(hi, y_min, y_max):.1f}" for i, (_, hi) in segment]
                bottom = [f"{_x(i, n):.1f},{_y(lo, y_min, y_max):.1f}" for i, (lo, _) in reversed(segment)]
                parts.append(
                    f'<polygon points="{" ".join(top + bottom)}" fill="{color}" fill-opacity="0.15"/>'
                )
        for segment in _segments(s.values):
            points = " ".join(f"{_x(i, n):.1f},{_y(v, y_min, y_max):.1f}" for i, v in segment)
            if len(segment) > 1:
                parts.append(f'<polyline points="{points}" fill="none" stroke="{color}" stroke-width="2"/>')
            for i, v in segment:
                parts.append(
                    f'<circle cx="{_x(i, n):.1f}" cy="{_y(v, y_min, y_max):.1f}" r="3" fill="{color}">'
                    f"<title>{escape(s.name)} {escape(x_labels[i])}: {escape(y_format.format(v))}</title></circle>"
                )
        legend_x = LEFT + (k % 3) * 200  # three legend entries per row, two rows
        legend_y = HEIGHT - 22 + 14 * (k // 3)
        parts.append(f'<rect x="{legend_x}" y="{legend_y - 8}" width="10" height="10" fill="{color}"/>')
        parts.append(
            f'<text x="{legend_x + 14}" y="{legend_y + 1}" font-size="10">{escape(s.name[:32])}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _segments(values):
    """Runs of consecutive non-None values as lists of (index, value)."""
    runs, current = [], []
    for i, v in enumerate(values):
        present = v is not None and not (isinstance(v, tuple) and None in v)
        if present:
            current.append((i, v))
        elif current:
            runs.append(current)
            current = []
    if current:
        runs.append(current)
    return runs


def bar_chart(*, title: str, labels: list[str], values: list[int], color: str = PALETTE[0]) -> str:
    """Counts per bin (e.g. a confidence histogram)."""
    width, height = 320, 160
    left, bottom, top = 36, 30, 24
    n = max(1, len(values))
    peak = max(values) if values and max(values) > 0 else 1
    bar = (width - left - 8) / n
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'role="img" aria-label="{escape(title)}" class="registry-chart">',
        f'<text x="{left}" y="15" font-size="12" font-weight="bold">{escape(title)}</text>',
    ]
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        h = (height - top - bottom) * value / peak
        x = left + i * bar
        parts.append(
            f'<rect x="{x + 1:.1f}" y="{height - bottom - h:.1f}" width="{bar - 2:.1f}" height="{h:.1f}" fill="{color}">'
            f"<title>{escape(label)}: {value}</title></rect>"
        )
        if i % 2 == 0:
            parts.append(
                f'<text x="{x + bar / 2:.1f}" y="{height - bottom + 12}" font-size="9" text-anchor="middle">{escape(label)}</text>'
            )
    parts.append(f'<text x="{left - 4}" y="{top + 8}" font-size="9" text-anchor="end">{peak}</text>')
    parts.append("</svg>")
    return "".join(parts)
