"""Recomputing the rollups from raw rows: ``stats rebuild`` (everything, month by month) and
``stats refresh`` (the days since the last refresh, at least the last week).

Daily attendance is recomputed from check-ins; daily supply (for days that are over) from slots and
bookings; the monthly rollups from the daily ones, up to yesterday (the current month's row grows
with each refresh). A refresh recomputes every month it touches, whole.

Each transaction that recomputes rollups first takes the settling lock exclusive
(``rollups.lock_settling``): an admission landing on a settled day meanwhile (which keeps the
stored rows in step itself, ``rollups._on_settled_day``) waits for it, or is waited for.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy import func, select

from app.core.time import local_today, utcnow
from app.extensions import db
from app.scheduling.models import Slot
from app.stats.models import (SUPPLY_COLUMNS, SchoolDailyVisits, VenueDailyStats, VenueDailySupply, VenueMonthlyStats,
                              VenueMonthlySupply)
from app.stats.rollups import checkin_date_range, lock_settling, rebuild_attendance
from app.stats.sources import ATTENDANCE, month_end
from app.stats.supply import record_refresh, refresh_supply, settled_through

ONE_DAY = timedelta(days=1)


@dataclass
class Counts:
    attendance: int = 0
    supply: int = 0

    def add(self, other: "Counts") -> None:
        self.attendance += other.attendance
        self.supply += other.supply


def months_between(first: date, last: date) -> list[tuple[date, date]]:
    """Calendar months touching ``first``..``last``, each as (first day, last day)."""
    months, day = [], first.replace(day=1)
    while day <= last:
        months.append((day, month_end(day)))
        day = month_end(day) + ONE_DAY
    return months


def months_to_rebuild() -> list[tuple[date, date]]:
    """Every month from the first check-in or slot to the last (or today)."""
    first_checkin, last_checkin = checkin_date_range()
    first_slot, last_slot = db.session.execute(select(func.min(Slot.local_date), func.max(Slot.local_date))).one()
    starts = [d for d in (first_checkin, first_slot) if d is not None]
    ends = [d for d in (last_checkin, last_slot, local_today()) if d is not None]
    return months_between(min(starts), max(ends)) if starts else []


def _monthly(month: date, settled: date) -> None:
    """The month's monthly rows, summed from its daily rows up to the settled day."""
    end = min(month_end(month), settled)
    for monthly, daily, columns in ((VenueMonthlyStats, VenueDailyStats, ATTENDANCE),
                                    (VenueMonthlySupply, VenueDailySupply, SUPPLY_COLUMNS)):
        db.session.execute(sa.delete(monthly).where(monthly.month == month))
        summed = (select(daily.venue_id, sa.literal(month, sa.Date).label("month"),
                         *(func.sum(getattr(daily, c)).label(c) for c in columns))
                  .where(daily.day.between(month, end)).group_by(daily.venue_id))
        db.session.execute(sa.insert(monthly).from_select(["venue_id", "month", *columns], summed))


def rebuild_days(first: date, last: date) -> Counts:
    """Daily attendance for ``first``..``last``; daily supply for the part of it that is over; then the
    monthly rows of every month the range touches."""
    lock_settling(exclusive=True)
    counts = Counts(attendance=rebuild_attendance(first, last))
    settled = min(last, local_today() - ONE_DAY)
    if settled >= first:
        counts.supply = refresh_supply(first, settled)
    for month, _ in months_between(first, settled):
        _monthly(month, settled)
    return counts


def clear_outside(months: list[tuple[date, date]]) -> None:
    """Drop rollup rows that no month of the rebuild covers (their raw rows are gone)."""
    lock_settling(exclusive=True)
    daily = (VenueDailyStats, SchoolDailyVisits, VenueDailySupply)
    monthly = (VenueMonthlyStats, VenueMonthlySupply)
    if not months:
        for model in daily + monthly:
            db.session.execute(sa.delete(model))
        return
    first, last = months[0][0], months[-1][1]
    for model in daily:
        db.session.execute(sa.delete(model).where(sa.or_(model.day < first, model.day > last)))
    for model in monthly:
        db.session.execute(sa.delete(model).where(sa.or_(model.month < first, model.month > last)))
    db.session.execute(sa.delete(VenueDailySupply).where(VenueDailySupply.day >= local_today()))


def refresh_range(days: int) -> tuple[date, date]:
    """The days ``stats refresh`` recomputes: the last ``days``, and every day since the last refresh."""
    yesterday = local_today() - ONE_DAY
    first = yesterday - timedelta(days=days - 1)
    settled = settled_through()
    if settled is None:  # never refreshed: everything, as a rebuild would
        months = months_to_rebuild()
        first = min(first, months[0][0]) if months else first
    elif settled + ONE_DAY < first:
        first = settled + ONE_DAY
    # Whole months: a month's rollup is summed from all its days, which must all be stored.
    return first.replace(day=1), yesterday


def resum_months_settled_since(previous: date | None) -> None:
    """For a rebuild that commits month by month: in its last transaction, before it records the
    days it settled, sum again the monthly rows of the months holding days it newly settles
    (after ``previous``, the settled day when it began). An admission that landed on such a day
    between its transactions did not add to the monthly row, its day not being settled yet."""
    lock_settling(exclusive=True)
    settled = local_today() - ONE_DAY
    first = previous + ONE_DAY if previous is not None else None
    if first is None:
        months = months_to_rebuild()
        first = months[0][0] if months else None
    if first is None or first > settled:
        return
    for month, _ in months_between(first, settled):
        _monthly(month, settled)


def finish(kind: str, started_at: datetime, counts: Counts) -> None:
    record_refresh(kind, local_today() - ONE_DAY, started_at, counts.attendance + counts.supply)


def rebuild_all() -> Counts:
    """Everything at once, in the caller's transaction (tests, the demo); the CLI goes month by month."""
    started, counts = utcnow(), Counts()
    months = months_to_rebuild()
    clear_outside(months)
    for first, last in months:
        counts.add(rebuild_days(first, last))
    finish("rebuild", started, counts)
    return counts
