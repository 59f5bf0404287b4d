"""Server-rendered SVG charts: the geometry here, the markup in ``templates/stats/_charts.html``.

Charts are SVG without a viewBox, sized in percentages, so that their text stays at the page's
font size on a 360 px phone and in print; no JavaScript, nothing inline that the Content-Security-
Policy would block. Every chart is drawn from a ``Breakdown`` whose table is printed beside it.
"""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass

BAR_MAX_PCT = 78  # leave room right of the longest bar for its value
# A bar's label is SVG text, which does not wrap: longer ones are cut to what a 360-px phone shows
# in large text (a Chinese character counts two). The full name is in the bar's tooltip and the table.
LABEL_COLUMNS = 26
ROW_HEIGHT = 44
COLUMN_HEIGHT = 180


def figure(value, kind: str = "int") -> str:
    """A figure as people read it: 12,345 · 4.5 · 47.2% · – for nothing. Chinese and English write
    numbers alike (comma groups, decimal point); plain formatting keeps a page of figures quick."""
    if value is None:
        return "–"
    if kind == "pct":
        return f"{value * 100:,.1f}%"
    if kind == "num":
        text = f"{value:,.2f}"
        return text.rstrip("0").rstrip(".") if "." in text else text
    if kind == "text":
        return str(value)
    return f"{value:,}"


@dataclass(frozen=True)
class Bar:
    label: str
    text: str
    pct: float  # length of the bar, percent of the chart's width (or height, for columns)
    y: int = 0
    x_pct: float = 0.0

    @property
    def short_label(self) -> str:
        """The label as drawn: cut to ``LABEL_COLUMNS``, with an ellipsis when cut."""
        used = 0
        for index, char in enumerate(self.label):
            used += 2 if unicodedata.east_asian_width(char) in "WF" else 1
            if used > LABEL_COLUMNS:
                return self.label[:index - 1].rstrip() + "…"
        return self.label


def _peak(values) -> float:
    numbers = [v for v in values if isinstance(v, (int, float))]
    return max(numbers) if numbers and max(numbers) > 0 else 0


def _kind(breakdown, key: str) -> str:
    return next((c.kind for c in breakdown.columns if c.key == key), "int")


def bars(breakdown, value: str | None = None) -> list[Bar]:
    """Horizontal bars, one row each: the label above, the bar and its value below."""
    value = value or breakdown.value
    kind = _kind(breakdown, value)
    peak = _peak(r.get(value) for r in breakdown.rows)
    result = []
    for index, row in enumerate(breakdown.rows):
        amount = row.get(value)
        pct = round(BAR_MAX_PCT * amount / peak, 2) if peak and amount else 0
        result.append(Bar(label=str(row[breakdown.label]), text=figure(amount, kind), pct=pct,
                          y=index * ROW_HEIGHT))
    return result


def columns(breakdown, value: str | None = None) -> list[Bar]:
    """Vertical columns (months): ``pct`` is the height as a share of the plot's height."""
    value = value or breakdown.value
    kind = _kind(breakdown, value)
    rows = breakdown.rows
    peak = _peak(r.get(value) for r in rows)
    width = 100 / len(rows) if rows else 100
    return [Bar(label=str(row[breakdown.label]), text=figure(row.get(value), kind),
                pct=round(100 * row[value] / peak, 2) if peak and row.get(value) else 0,
                x_pct=round(index * width, 3))
            for index, row in enumerate(rows)]


def column_width(breakdown) -> float:
    return round(100 / len(breakdown.rows), 3) if breakdown.rows else 100


def label_every(breakdown) -> int:
    """Label every n-th column so that labels do not collide (12 fit a phone)."""
    return max(1, -(-len(breakdown.rows) // 12))


def highest(breakdown, value: str | None = None) -> tuple[str, str] | None:
    """(label, figure) of the largest value, for the chart's text description."""
    value = value or breakdown.value
    numbered = [r for r in breakdown.rows if isinstance(r.get(value), (int, float)) and r.get(value)]
    if not numbered:
        return None
    top = max(numbered, key=lambda r: r[value])
    return str(top[breakdown.label]), figure(top[value], _kind(breakdown, value))
