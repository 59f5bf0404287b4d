"""Museum–school cooperation agreements (馆校合作): who counts as a partner school, and when."""
from __future__ import annotations

from datetime import date, timedelta

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext as _ln
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from app.bookings.models import ACTIVE_STATUSES, Booking, BookingRules, BookingStatus, Partnership
from app.bookings.rules import rules_for
from app.core.errors import DomainError
from app.extensions import db
from app.scheduling.models import Slot
from app.venues.models import Venue


def venue_partnerships(venue_id: int) -> list[Partnership]:
    return list(db.session.scalars(
        select(Partnership).where(Partnership.venue_id == venue_id)
        .order_by(Partnership.valid_to.desc(), Partnership.id)))


def school_partnerships(school_id: int, today: date) -> list[tuple[Partnership, BookingRules]]:
    """A school's agreements in force today or still to come, soonest ending first, each with the
    venue's booking rules (how much earlier the school books, the share of places held for partners)."""
    rows = db.session.scalars(
        select(Partnership).where(Partnership.school_id == school_id, Partnership.valid_to >= today)
        .options(selectinload(Partnership.venue).selectinload(Venue.booking_rules))
        .order_by(Partnership.valid_from, Partnership.valid_to, Partnership.id))
    return [(p, rules_for(p.venue)) for p in rows]


AGREEMENT_MAX_YEARS = 10
# Agreements are signed for the coming school year at the earliest.
AGREEMENT_MAX_YEARS_AHEAD = 1


def add_partnership(manager, venue, school, *, valid_from: date, valid_to: date, note: str = "",
                    today: date) -> Partnership:
    """Record an agreement that is in force on some day from ``today`` on, for at most ten years."""
    if _after_years(valid_from, today, AGREEMENT_MAX_YEARS_AHEAD):
        raise DomainError("starts_too_late", _l("An agreement can start at most a year from today."),
                          field="valid_from")
    if valid_to < today:
        raise DomainError("already_over", _l("The end date has passed: record agreements still in force."),
                          field="valid_to")
    if valid_from > valid_to:
        raise DomainError("invalid_range", _l("The end date must be on or after the start date."), field="valid_to")
    if _after_years(valid_to, valid_from, AGREEMENT_MAX_YEARS):
        raise DomainError("too_long", _l("An agreement runs for at most %(n)d years.", n=AGREEMENT_MAX_YEARS),
                          field="valid_to")
    overlapping = db.session.scalar(select(Partnership.id).where(
        Partnership.venue_id == venue.id, Partnership.school_id == school.id,
        Partnership.valid_from <= valid_to, Partnership.valid_to >= valid_from))
    if overlapping:
        raise DomainError("partnership_exists",
                          _l("This school already has an agreement for part of that period."), field="school_id")
    partnership = Partnership(venue_id=venue.id, school_id=school.id, valid_from=valid_from, valid_to=valid_to,
                              note=(note or "").strip(), created_by_id=manager.id)
    db.session.add(partnership)
    db.session.flush()
    return partnership


def _after_years(day: date, start: date, years: int) -> bool:
    """Whether ``day`` comes after the same date ``years`` years from ``start`` (29 February safe)."""
    return (day.year, day.month, day.day) > (start.year + years, start.month, start.day)


def end_partnership(manager, partnership: Partnership, *, today: date) -> Partnership | None:
    """End an agreement from today on: bookings already made keep their priority seats.

    An agreement that has not given a day of priority before today is withdrawn altogether (None
    is returned): shortening it to a day would leave the school a partner on that day. Partner
    status follows the visit's date, so a class may already have booked under one that has not
    started: then it is kept, on record for those bookings, until it can be ended as a running one."""
    if partnership.valid_to < today:
        raise DomainError("already_ended", _l("This agreement has already ended."))
    if partnership.valid_from >= today:
        relying = _bookings_relying_on(partnership)
        if relying:
            raise DomainError("partnership_in_use", _ln(
                "%(num)d booking already relies on this agreement, so it cannot be withdrawn before it starts. "
                "It can be ended from %(day)s on; bookings made under it keep their places.",
                "%(num)d bookings already rely on this agreement, so it cannot be withdrawn before it starts. "
                "It can be ended from %(day)s on; bookings made under it keep their places.",
                relying, day=(partnership.valid_from + timedelta(days=1)).isoformat()), status=409)
        db.session.delete(partnership)
        db.session.flush()
        return None
    partnership.valid_to = today - timedelta(days=1)
    db.session.flush()
    return partnership


def _bookings_relying_on(partnership: Partnership) -> int:
    """The school's bookings at the venue that still stand and took partner priority, for visits
    the agreement covers."""
    return db.session.scalar(
        select(func.count(Booking.id)).join(Slot, Slot.id == Booking.slot_id)
        .where(Booking.venue_id == partnership.venue_id, Booking.school_id == partnership.school_id,
               Booking.is_partner.is_(True), Booking.status.in_([BookingStatus(s) for s in ACTIVE_STATUSES]),
               Slot.local_date.between(partnership.valid_from, partnership.valid_to)))
