"""Themed-day events in figures: the one computation of each themed event's sessions, places offered
and persons admitted over some days, for a venue's annual report (``reports.themed_events``) and the
public dashboard's themed-day section (``themed_days``, cached with the dashboard's other figures by
``figures.figures``).

A themed event is a program tied to a themed day; it is held on its open sessions (slots) of those
days that are held (``held_sessions``: started, or admitting already), and its persons admitted are
the admitted check-ins of those sessions, as in ``event_visits``.
"""
from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy import func, select
from sqlalchemy.orm import aliased

from app.bookings.models import Booking
from app.checkin.models import CheckIn, CheckInResult
from app.core.time import utcnow
from app.events.models import ThemedDay
from app.extensions import db
from app.scheduling.models import Program, Slot, SlotStatus
from app.venues.models import Venue


def held_sessions(now: datetime) -> sa.ColumnElement[bool]:
    """Whether a ``Slot`` is held by ``now``: it has started, or its gate has admitted someone already
    (a ticket is valid from half an hour before the start), so that no one admitted goes uncounted."""
    booking, check_in = aliased(Booking), aliased(CheckIn)
    admitting = (select(booking.id)
                 .join(check_in, sa.and_(check_in.booking_id == booking.id, check_in.result == CheckInResult.OK))
                 .where(booking.slot_id == Slot.id).exists())
    return sa.or_(Slot.starts_at <= now, admitting)


def event_rows(first: date, last: date, *conditions) -> list:
    """Per themed program with sessions held from ``first`` to ``last`` (``conditions`` on ``Slot`` and
    its ``Venue`` narrow them), soonest first: ``Program``, ``ThemedDay`` (None for a key no longer
    known), ``sessions``, ``places``, ``first_day``, ``last_day`` and ``persons`` admitted."""
    in_period = sa.and_(Slot.local_date.between(first, last), Slot.status == SlotStatus.OPEN,
                        Program.themed_day_key.isnot(None), *conditions)
    sessions = (select(Slot.program_id, func.count(Slot.id).label("sessions"), func.sum(Slot.capacity).label("places"),
                       func.min(Slot.local_date).label("first_day"), func.max(Slot.local_date).label("last_day"))
                .join(Program, Program.id == Slot.program_id).join(Venue, Venue.id == Slot.venue_id)
                .where(in_period, held_sessions(utcnow())).group_by(Slot.program_id).subquery("sessions"))
    admitted = (select(Slot.program_id, func.sum(CheckIn.persons).label("persons"))
                .select_from(Slot).join(Program, Program.id == Slot.program_id).join(Venue, Venue.id == Slot.venue_id)
                .join(Booking, Booking.slot_id == Slot.id)
                .join(CheckIn, sa.and_(CheckIn.booking_id == Booking.id, CheckIn.result == CheckInResult.OK))
                .where(in_period).group_by(Slot.program_id).subquery("admitted"))  # admitting: held
    return db.session.execute(
        select(Program, ThemedDay, sessions.c.sessions, sessions.c.places, sessions.c.first_day, sessions.c.last_day,
               func.coalesce(admitted.c.persons, 0).label("persons"))
        .join(sessions, sessions.c.program_id == Program.id)
        .outerjoin(admitted, admitted.c.program_id == Program.id)
        .outerjoin(ThemedDay, ThemedDay.key == Program.themed_day_key)
        .order_by(sessions.c.first_day, Program.id)).all()


def themed_days(first: date, last: date, *conditions) -> dict[str, dict]:
    """``event_rows`` summed per themed day, in the order of their first sessions: its names, the
    events held, their sessions, places offered and persons admitted (plain values, for a cache)."""
    found: dict[str, dict] = {}
    for row in event_rows(first, last, *conditions):
        key = row.Program.themed_day_key
        day = found.setdefault(key, {
            "name_zh": row.ThemedDay.name_zh if row.ThemedDay else key,
            "name_en": row.ThemedDay.name_en if row.ThemedDay else "",
            "events": 0, "sessions": 0, "places": 0, "visits": 0})
        day["events"] += 1
        day["sessions"] += int(row.sessions)
        day["places"] += int(row.places or 0)
        day["visits"] += int(row.persons)
    return found
