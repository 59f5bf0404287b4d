"""Server-rendered SVG charts: the geometry here, the markup in ``templates/stats/_charts.html``.

Charts are SVG without a viewBox, sized in percentages, so that their text stays at the page's
font size on a 360 px phone and in print; no JavaScript, nothing inline that the Content-Security-
Policy would block. Every chart is drawn from a ``Breakdown`` whose table is printed beside it.
"""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass

BAR_MAX_PCT = 78  # the longest bar, when its value is short
# SVG text does not wrap or shrink: labels and values must fit the narrowest chart drawn, a 360-px
# phone in large text (about 278 px wide, a digit or letter about 12 px, a Chinese character two).
# A bar's label is cut to that (the full name is in the bar's tooltip and the table) ...
LABEL_COLUMNS = 23
# ... and the longest bar leaves room after it for the widest value: 6 px gap and 12 px a character.
NARROWEST_PX, CHARACTER_PX, VALUE_GAP_PX = 278, 12, 10
EDGE_PCT = 100 * CHARACTER_PX / NARROWEST_PX  # a two-digit month label centred nearer the edge sticks out
ROW_HEIGHT = 44
COLUMN_HEIGHT = 180


# Fractional figures with as many decimals as they are rounded to (app.stats.services, app.stats.equity,
# the Bureau's 2019 figures), in every row and bar alike: "33.00" beside "33.25", "25,185.0" beside "2,518.5".
DECIMALS = {"per_10k": 2, "visits_per_10k": 2, "venues_per_10k": 2, "population_10k": 2, "urbanization_pct": 2,
            "free_open_hours": 1}


def figure(value, kind: str = "int", key: str | None = None) -> str:
    """A figure as people read it: 12,345 · 4.5 · 47.2% · – for nothing; a ``num`` figure named in
    ``DECIMALS`` by its ``key`` with that many decimals. Chinese and English write numbers alike
    (comma groups, decimal point); plain formatting keeps a page of figures quick."""
    if value is None:
        return "–"
    if kind == "pct":
        return f"{value * 100:,.1f}%"
    if kind == "num":
        if key in DECIMALS:
            return f"{value:,.{DECIMALS[key]}f}"
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
    label_x_pct: float = 0.0  # columns: where the label is anchored, and how
    label_anchor: str = "middle"

    @property
    def short_label(self) -> str:
        """The label as drawn: at most ``LABEL_COLUMNS`` wide. A longer one keeps its beginning and its
        end around an ellipsis: venues' names differ most at the end ("…天文馆", "…Meteorology Hall"),
        so two that begin alike stay two."""
        if _columns(self.label) <= LABEL_COLUMNS:
            return self.label
        room = LABEL_COLUMNS - 1  # the ellipsis takes one column
        tail = _fitting(self.label[::-1], room * 2 // 5)[::-1]
        if _columns(tail[0]) == 1 and not self.label[-len(tail) - 1].isspace():
            # Latin letters: the end from a word's beginning ("…Hall", not "…ogy Hall"), or none.
            space = tail.find(" ")
            tail = tail[space:] if space >= 0 else ""
        head = _fitting(self.label, room - _columns(tail))
        return head.rstrip() + "…" + tail.lstrip()


def _columns(text: str) -> int:
    """How many columns ``text`` takes: a Chinese character two, a Latin letter one."""
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


def _fitting(text: str, room: int) -> str:
    """The longest beginning of ``text`` that fits in ``room`` columns."""
    used = 0
    for index, char in enumerate(text):
        used += _columns(char)
        if used > room:
            return text[:index]
    return text


def _peak(values) -> float:
    numbers = [v for v in values if isinstance(v, (int, float))]
    return max(numbers) if numbers and max(numbers) > 0 else 0


def _kind(breakdown, key: str) -> str:
    return next((c.kind for c in breakdown.columns if c.key == key), "int")


def bar_max_pct(texts) -> float:
    """How long the longest bar may be (percent of the chart) so that the widest value fits after it."""
    widest = max((len(t) for t in texts), default=0)
    room = 100 * (VALUE_GAP_PX + CHARACTER_PX * widest) / NARROWEST_PX
    return round(min(BAR_MAX_PCT, 100 - room), 2)


def bars(breakdown, value: str | None = None) -> list[Bar]:
    """Horizontal bars, one row each: the label above, the bar and its value below."""
    value = value or breakdown.value
    kind = _kind(breakdown, value)
    peak = _peak(r.get(value) for r in breakdown.rows)
    texts = [figure(row.get(value), kind, value) for row in breakdown.rows]
    longest = bar_max_pct(texts)
    return [Bar(label=str(row[breakdown.label]), text=text,
                pct=round(longest * row[value] / peak, 2) if peak and row.get(value) else 0, y=index * ROW_HEIGHT)
            for index, (row, text) in enumerate(zip(breakdown.rows, texts))]


def columns(breakdown, value: str | None = None) -> list[Bar]:
    """Vertical columns (months): ``pct`` is the height as a share of the plot's height."""
    value = value or breakdown.value
    kind = _kind(breakdown, value)
    rows = breakdown.rows
    peak = _peak(r.get(value) for r in rows)
    width = 100 / len(rows) if rows else 100
    return [Bar(label=str(row[breakdown.label]), text=figure(row.get(value), kind, value),
                pct=round(100 * row[value] / peak, 2) if peak and row.get(value) else 0,
                x_pct=round(index * width, 3), **_column_label(index * width, width))
            for index, row in enumerate(rows)]


def _column_label(x_pct: float, width: float) -> dict:
    """A column's label centred under it, except near the chart's edges, where a centred label of
    narrow columns (a long period) would stick out: there it starts or ends with the column."""
    centre = x_pct + width / 2
    if centre < EDGE_PCT:
        return {"label_x_pct": round(x_pct, 3), "label_anchor": "start"}
    if centre > 100 - EDGE_PCT:
        return {"label_x_pct": round(x_pct + width, 3), "label_anchor": "end"}
    return {"label_x_pct": round(centre, 3), "label_anchor": "middle"}


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
    return str(top[breakdown.label]), figure(top[value], _kind(breakdown, value), value)
