"""Server-side SVG charts for the compliance dashboard (pure: no Django).

Each chart is one inline ``<svg role="img">`` with a ``<title>`` and a ``<desc>`` (its text
alternative, WCAG 2.1 1.1.1), drawn here from numbers: nothing is loaded from another host and
no JavaScript runs. The same numbers are always in a ``<table>`` beside the chart (the
template's), so the chart is never the only way to read them. Every text is escaped.

Colours: each series colour has at least 3:1 contrast against the white background (WCAG 2.1
1.4.11, graphical objects) and text is near-black (1.4.3); stacked series are also told apart by
their order and the legend, never by colour alone (1.4.1): the table holds every value.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

# Dark blue, dark orange, green, purple, dark red, slate: each >= 4.5:1 on white.
PALETTE: tuple[str, ...] = ("#1f4e79", "#a14a00", "#2e6b30", "#6a1b9a", "#b3261e", "#455a64")
TEXT = "#1a1a1a"
GRID = "#767676"  # 4.5:1 on white
WIDTH = 640


def _number(value: float) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def _open(chart_id: str, title: str, description: str, height: int) -> list[str]:
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" class="chart" '
        f'viewBox="0 0 {WIDTH} {height}" width="100%" '
        f'aria-labelledby="{escape(chart_id)}-title {escape(chart_id)}-desc" '
        f'font-family="system-ui, sans-serif" font-size="13">',
        f'<title id="{escape(chart_id)}-title">{escape(title)}</title>',
        f'<desc id="{escape(chart_id)}-desc">{escape(description)}</desc>',
        f'<rect width="{WIDTH}" height="{height}" fill="#ffffff"/>',
    ]


def bar_chart(
    *,
    chart_id: str,
    title: str,
    description: str,
    bars: Sequence[tuple[str, float]],
    unit: str = "",
    maximum: float | None = None,
) -> str:
    """Horizontal bars, one per (label, value), each with its value written at its end."""
    label_width, row, top = 270, 28, 10
    height = top * 2 + row * max(1, len(bars))
    largest = maximum if maximum is not None else max((value for _, value in bars), default=0)
    scale = (WIDTH - label_width - 70) / largest if largest > 0 else 0.0
    parts = _open(chart_id, title, description, height)
    parts.append(
        f'<line x1="{label_width}" y1="{top}" x2="{label_width}" y2="{height - top}" '
        f'stroke="{GRID}"/>'
    )
    for index, (label, value) in enumerate(bars):
        y = top + index * row
        length = round(value * scale, 1)
        parts.append(
            f'<text x="{label_width - 8}" y="{y + 18}" text-anchor="end" fill="{TEXT}">'
            f"{escape(label)}</text>"
        )
        parts.append(
            f'<rect x="{label_width}" y="{y + 5}" width="{length}" height="{row - 10}" '
            f'fill="{PALETTE[0]}"/>'
        )
        parts.append(
            f'<text x="{label_width + length + 6}" y="{y + 18}" fill="{TEXT}">'
            f"{escape(_number(value) + unit)}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)


def stacked_columns(
    *,
    chart_id: str,
    title: str,
    description: str,
    categories: Sequence[str],
    series: Sequence[tuple[str, Sequence[int]]],
) -> str:
    """Vertical columns, one per category, each stacking the series (in order, first at the
    bottom), with the column's total above it and a legend below."""
    left, top, plot_height, legend_row = 40, 24, 220, 20
    legend_rows = (len(series) + 1) // 2
    height = top + plot_height + 30 + legend_rows * legend_row + 10
    totals = [sum(values[i] for _, values in series) for i in range(len(categories))]
    largest = max(totals, default=0)
    scale = plot_height / largest if largest > 0 else 0
    slot = (WIDTH - left - 10) / max(1, len(categories))
    column = slot * 0.6
    base = top + plot_height
    parts = _open(chart_id, title, description, height)
    parts.append(f'<line x1="{left}" y1="{base}" x2="{WIDTH - 10}" y2="{base}" stroke="{GRID}"/>')
    for i, category in enumerate(categories):
        x = left + i * slot + (slot - column) / 2
        y = float(base)
        for index, (_name, values) in enumerate(series):
            size = round(values[i] * scale, 1)
            if size > 0:
                y -= size
                parts.append(
                    f'<rect x="{x:.1f}" y="{y:.1f}" width="{column:.1f}" height="{size}" '
                    f'fill="{PALETTE[index % len(PALETTE)]}" stroke="#ffffff" stroke-width="1"/>'
                )
        centre = x + column / 2
        parts.append(
            f'<text x="{centre:.1f}" y="{y - 5:.1f}" text-anchor="middle" fill="{TEXT}">'
            f"{totals[i]}</text>"
        )
        parts.append(
            f'<text x="{centre:.1f}" y="{base + 18}" text-anchor="middle" fill="{TEXT}">'
            f"{escape(category)}</text>"
        )
    for index, (name, _values) in enumerate(series):
        x = left + (index % 2) * (WIDTH - left) / 2
        y = base + 34 + (index // 2) * legend_row
        parts.append(
            f'<rect x="{x:.1f}" y="{y}" width="12" height="12" '
            f'fill="{PALETTE[index % len(PALETTE)]}"/>'
        )
        parts.append(f'<text x="{x + 18:.1f}" y="{y + 11}" fill="{TEXT}">{escape(name)}</text>')
    parts.append("</svg>")
    return "".join(parts)
