"""Where the figures of a period are read from: the smallest rows that hold them.

A period splits into months settled by the last ``stats rebuild``/``stats refresh`` (read from the
monthly rollups: one row per venue and month; the current month's row runs to the settled day) and
the days around them (read from the daily rollups; supply after the last refresh is computed live
from slots and bookings). Every part has the same columns, so the figures are SQL sums over one
``UNION ALL`` whichever way the period falls, and a year of a thousand venues is a few thousand rows.

A period's parts are a plan (``attendance_parts``, ``supply_parts``); the statement for a plan's
shape binds the dates as parameters, so a page can reuse a statement built once (``app.stats.figures``).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Callable

import sqlalchemy as sa
from sqlalchemy import select

from app.core.time import utcnow
from app.stats.models import (ATTENDANCE_COLUMNS, BAND_COLUMNS, SUPPLY_COLUMNS, VenueDailyStats, VenueDailySupply,
                              VenueMonthlyStats, VenueMonthlySupply)
from app.stats.supply import settled_through, supply_select

ONE_DAY = timedelta(days=1)
ATTENDANCE = ATTENDANCE_COLUMNS + BAND_COLUMNS  # every column of an attendance rollup row


def month_end(day: date) -> date:
    return date(day.year + (day.month == 12), day.month % 12 + 1, 1) - ONE_DAY


@dataclass(frozen=True)
class Split:
    months: tuple[date, date] | None = None  # first days of the first and last settled month used
    days: list[tuple[date, date]] = field(default_factory=list)  # the rest, as day ranges


def split(first: date, through: date, settled: date | None) -> Split:
    """A month's row covers its first day to its last or to ``settled``, whichever comes first; it is
    used when that whole stretch lies in the period."""
    if through < first:
        return Split()
    month = first if first.day == 1 else month_end(first) + ONE_DAY
    used = []
    while settled is not None and month <= settled and min(month_end(month), settled) <= through:
        used.append(month)
        month = month_end(month) + ONE_DAY
    if not used:
        return Split(days=[(first, through)])
    days = []
    if first < used[0]:
        days.append((first, used[0] - ONE_DAY))
    after = min(month_end(used[-1]), settled) + ONE_DAY
    if after <= through:
        days.append((after, through))
    return Split(months=(used[0], used[-1]), days=days)


Part = tuple[str, date, date]  # (kind, first, last): month | day (attendance); month | stored | live (supply)


def attendance_parts(first: date, through: date, settled: date | None) -> list[Part]:
    plan = split(first, through, settled)
    return ([("month", *plan.months)] if plan.months else []) + [("day", a, b) for a, b in plan.days]


def supply_parts(first: date, through: date, settled: date | None) -> list[Part]:
    plan = split(first, through, settled)
    parts = [("month", *plan.months)] if plan.months else []
    for a, b in plan.days:
        if settled is not None and a <= settled:
            parts.append(("stored", a, min(b, settled)))
            a = settled + ONE_DAY
        if a <= b:
            parts.append(("live", a, b))
    return parts


def part_params(parts: list[Part], prefix: str) -> dict:
    params = {}
    for index, (_, a, b) in enumerate(parts):
        params[f"{prefix}{index}_first"], params[f"{prefix}{index}_last"] = a, b
    return params


Bind = Callable[[str], sa.BindParameter]


def _dates(bind: Bind, prefix: str, index: int):
    return bind(f"{prefix}{index}_first"), bind(f"{prefix}{index}_last")


def _union(parts: list, name: str, empty):
    if not parts:
        parts = [empty.where(sa.false())]
    return (parts[0] if len(parts) == 1 else sa.union_all(*parts)).subquery(name)


def _monthly_rows(model, columns: tuple[str, ...], first, last):
    """``venue_id, day`` and ``columns`` of a monthly rollup's months ``first``..``last``; a row's ``day``
    is the first of its month."""
    return (select(model.venue_id, model.month.label("day"), *(getattr(model, c) for c in columns))
            .where(model.month.between(first, last)))


def _daily_rows(model, columns: tuple[str, ...], first=None, last=None):
    """``venue_id, day`` and ``columns`` of a daily rollup's days ``first``..``last`` (every day without them)."""
    query = select(model.venue_id, model.day, *(getattr(model, c) for c in columns))
    return query if first is None else query.where(model.day.between(first, last))


def attendance_union(kinds: tuple[str, ...], bind: Bind, prefix: str = "a"):
    """Attendance rows (``venue_id, day`` and every attendance column) of the parts ``kinds``; a monthly
    row's ``day`` is the first of its month."""
    selects = []
    for index, kind in enumerate(kinds):
        first, last = _dates(bind, prefix, index)
        if kind == "month":
            selects.append(_monthly_rows(VenueMonthlyStats, ATTENDANCE, first, last))
        else:
            selects.append(_daily_rows(VenueDailyStats, ATTENDANCE, first, last))
    return _union(selects, "attendance", _daily_rows(VenueDailyStats, ATTENDANCE))


def supply_union(kinds: tuple[str, ...], bind: Bind, prefix: str = "s"):
    """Supply rows (``venue_id, day`` and the supply columns) of the parts ``kinds``."""
    selects = []
    for index, kind in enumerate(kinds):
        first, last = _dates(bind, prefix, index)
        if kind == "month":
            selects.append(_monthly_rows(VenueMonthlySupply, SUPPLY_COLUMNS, first, last))
        elif kind == "stored":
            selects.append(_daily_rows(VenueDailySupply, SUPPLY_COLUMNS, first, last))
        else:
            selects.append(supply_select(first, last, bind("now")))
    return _union(selects, "supply", _daily_rows(VenueDailySupply, SUPPLY_COLUMNS))


TYPES = {"now": sa.DateTime()}


def literal_binder(params: dict) -> Bind:
    """Bind parameters that carry their values: for statements built and run once."""
    return lambda name: sa.bindparam(name, params[name], type_=TYPES.get(name, sa.Date()))


def attendance_source(first: date, through: date):
    """The attendance rows of ``first``..``through`` as a subquery, values bound in."""
    parts = attendance_parts(first, through, settled_through())
    params = part_params(parts, "a")
    return attendance_union(tuple(k for k, _, _ in parts), literal_binder(params))


def supply_source(first: date, through: date):
    """The supply rows of ``first``..``through`` as a subquery, values bound in."""
    parts = supply_parts(first, through, settled_through())
    params = {**part_params(parts, "s"), "now": utcnow()}
    return supply_union(tuple(k for k, _, _ in parts), literal_binder(params))
