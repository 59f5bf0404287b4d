"""Museum–school cooperation agreements (馆校合作): who counts as a partner school, and when."""
from __future__ import annotations

from datetime import date, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.bookings.models import Partnership
from app.core.errors import DomainError
from app.extensions import db


def venue_partnerships(venue_id: int) -> list[Partnership]:
    return list(db.session.scalars(
        select(Partnership).where(Partnership.venue_id == venue_id)
        .order_by(Partnership.valid_to.desc(), Partnership.id)))


def add_partnership(manager, venue, school, *, valid_from: date, valid_to: date, note: str = "") -> Partnership:
    if valid_from > valid_to:
        raise DomainError("invalid_range", _l("The end date must be on or after the start date."), field="valid_to")
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


def end_partnership(manager, partnership: Partnership, *, today: date) -> Partnership:
    """End an agreement today: bookings already made keep their priority seats."""
    if partnership.valid_to < today:
        raise DomainError("already_ended", _l("This agreement has already ended."))
    partnership.valid_to = max(partnership.valid_from, today - timedelta(days=1))
    db.session.flush()
    return partnership
