"""Reading a venue's booking rules and the windows they imply."""
from __future__ import annotations

import math
from datetime import date, datetime, timedelta

from sqlalchemy import select

from app.bookings.models import BookingRules, Partnership
from app.extensions import db
from app.scheduling.models import Slot
from app.venues.models import Venue

DEFAULT_RULES = {c.name: c.default.arg for c in BookingRules.__table__.columns if c.default is not None}


def rules_for(venue: Venue) -> BookingRules:
    """The venue's rules; the defaults of ``booking_rules.md`` when it has set none. Read once per
    venue object (``Venue.booking_rules``), in no statement of its own when loaded with the venue."""
    rules = venue.booking_rules
    return rules if rules is not None else BookingRules(venue_id=venue.id, **DEFAULT_RULES)


def is_partner(venue_id: int, school_id: int | None, on: date) -> bool:
    if school_id is None:
        return False
    return db.session.scalar(
        select(Partnership.id).where(
            Partnership.venue_id == venue_id, Partnership.school_id == school_id,
            Partnership.valid_from <= on, Partnership.valid_to >= on,
        ).limit(1)
    ) is not None


def booking_window(slot: Slot, *, extra_days: int = 0) -> tuple[datetime, datetime]:
    """When booking this slot opens and closes (UTC); ``extra_days`` opens it earlier (partners)."""
    opens = slot.starts_at - timedelta(days=slot.window_opens_days + extra_days)
    closes = slot.starts_at - timedelta(hours=slot.window_closes_hours)
    return opens, closes


def window_state(slot, now: datetime) -> str:
    """Where ``now`` falls in ``slot``'s booking window, for anyone without a partner school's head
    start: ``"not_yet"``, ``"open"`` or ``"closed"``. ``slot`` is a ``Slot`` or any record with its
    ``starts_at`` and window columns (the month calendar's)."""
    opens, closes = booking_window(slot)
    return "not_yet" if now < opens else "open" if now < closes else "closed"


def cancel_deadline(slot: Slot, rules: BookingRules) -> datetime:
    return slot.starts_at - timedelta(hours=rules.cancel_cutoff_hours)


def adults_needed(students: int, grade: int, rules: BookingRules) -> int:
    per_adult = rules.kindergarten_students_per_adult if grade == 0 else rules.students_per_adult
    return math.ceil(students / per_adult) if students > 0 else 0
