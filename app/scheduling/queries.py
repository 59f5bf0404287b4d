"""Reading the schedule where other domains need it, without the publishing rules' imports."""
from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from app.core.requests import MAX_ID
from app.extensions import db
from app.scheduling.models import Closure, Program


def active_program(venue_id: int, program_id) -> Program | None:
    """The venue's active program with this id, or ``None`` for any other value (another venue's,
    retired, unknown, not a whole number, or beyond the database's integers)."""
    if isinstance(program_id, bool):
        return None
    try:
        number = int(program_id)
    except (TypeError, ValueError):
        return None
    program = db.session.get(Program, number) if 0 < number <= MAX_ID else None
    return program if program is not None and program.venue_id == venue_id and program.is_active else None


def closures_between(venue_id: int, first: date, last: date) -> list[Closure]:
    """The venue's closures with a day in ``first..last`` (whole, also the days outside), by first day."""
    return list(db.session.scalars(select(Closure).where(
        Closure.venue_id == venue_id, Closure.starts_on <= last, Closure.ends_on >= first)
        .order_by(Closure.starts_on, Closure.id)))


def closures_by_day(venue_id: int, first: date, last: date) -> dict[date, Closure]:
    """Each day of ``first..last`` on which the venue is closed, with its closure."""
    days: dict[date, Closure] = {}
    for closure in closures_between(venue_id, first, last):
        day = max(closure.starts_on, first)
        while day <= min(closure.ends_on, last):
            days.setdefault(day, closure)
            day += timedelta(days=1)
    return days
