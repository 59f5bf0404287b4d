"""The capacity rule, in one place.

Every path that changes how many places a slot holds — booking, cancelling, lowering a
headcount, declining, waitlist promotion, a manager resizing the slot — goes through these
functions. Each is a single conditional UPDATE: the database checks and changes the counter
in one statement, so two workers (or two machines) can never both take the last place. The
CHECK constraints on ``slots`` back the rule up.

A manager's correction of a slot's terms (its time, audience, admission, program) is decided by the
same row: ``set_terms`` changes them only while no place is held, and a new booking takes its places
only while the terms are still those its booker was shown (``take_seats(..., as_seen=...)``). Whichever
UPDATE reaches the row first wins; the other changes nothing.
"""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from app.bookings.models import Booking, BookingStatus
from app.core.errors import DomainError
from app.extensions import db
from app.scheduling.models import Slot, SlotStatus

# What a booker agrees to: a correction may change these only while nobody holds a place.
TERMS = ("starts_at", "ends_at", "audience", "admission", "program_id")


def _held_back_for_partners(now: datetime):
    """Seats still reserved for partner schools that a non-partner may not take."""
    return sa.case(
        (
            sa.and_(Slot.reserve_until.isnot(None), Slot.reserve_until > now,
                    Slot.reserved_seats > Slot.partner_taken),
            Slot.reserved_seats - Slot.partner_taken,
        ),
        else_=0,
    )


class SlotCorrected(DomainError):
    """The venue corrected the slot after the booker was shown it: nothing is booked."""

    def __init__(self):
        super().__init__("slot_corrected", _l("The venue has just changed this time, so nothing was booked. "
                                              "Please check the new time and book again if it suits you."),
                         status=409)


def terms_of(slot: Slot) -> dict:
    """The slot's terms as loaded now: what a booking's checks read and its booker is shown."""
    return {name: getattr(slot, name) for name in TERMS}


def _unchanged(terms: dict):
    return sa.and_(*(getattr(Slot, name).is_not_distinct_from(value) for name, value in terms.items()))


def take_seats(slot_id: int, seats: int, *, partner: bool, now: datetime, as_seen: dict | None = None) -> bool:
    """Hold ``seats`` places on an open slot if they fit; ``False`` if they do not.

    A new booking passes ``as_seen``, the ``terms_of`` the slot it checked: if the venue has corrected
    them since (``set_terms``), ``SlotCorrected`` is raised rather than holding places on a time the
    booker did not choose."""
    limit = Slot.capacity if partner else Slot.capacity - _held_back_for_partners(now)
    conditions = [Slot.id == slot_id, Slot.status == SlotStatus.OPEN, Slot.taken + seats <= limit]
    if as_seen is not None:
        conditions.append(_unchanged(as_seen))
    result = db.session.execute(
        sa.update(Slot)
        .where(*conditions)
        .values(taken=Slot.taken + seats,
                partner_taken=Slot.partner_taken + (seats if partner else 0)),
        execution_options={"synchronize_session": False},
    )
    _expire(slot_id)
    if result.rowcount == 1:
        return True
    # Not taken: full, or corrected meanwhile (PostgreSQL re-read the row once the correction
    # committed; this statement reads it as committed too).
    if as_seen is not None and db.session.scalar(
            sa.select(Slot.id).where(Slot.id == slot_id, _unchanged(as_seen))) is None:
        raise SlotCorrected()
    return False


def hold_open_for_waiting_list(slot_id: int) -> None:
    """Before a booking waits on a full slot: the slot's row is locked until the booking commits, and
    the slot must still be open. A cancellation (of the slot, of its day, of the venue) changes the row
    first, then ends the bookings it can see: it either ends before this, which then refuses, or waits
    for this booking's commit and sees it. Without the lock the booking could wait on a slot gone
    meanwhile, untold (``take_seats`` locks nothing when the slot is full)."""
    # FOR NO KEY UPDATE, the lock an UPDATE of the row takes: FOR UPDATE would also wait on the key-share
    # lock each waiting booking's INSERT holds on its slot, and two of them would deadlock.
    status = db.session.scalar(sa.select(Slot.status).where(Slot.id == slot_id).with_for_update(key_share=True))
    _expire(slot_id)
    if status != SlotStatus.OPEN:
        raise DomainError("slot_unavailable", _l("This time is no longer open for booking."), status=409)


def held_for_partners(slot: Slot, now: datetime) -> int:
    """Reserved seats still held for partner schools that a non-partner may not take now (none once
    the reserve is released): what ``_held_back_for_partners`` computes, read from a loaded slot."""
    if slot.reserve_until is None or slot.reserve_until <= now:
        return 0
    return max(0, slot.reserved_seats - slot.partner_taken)


def places_for(slot: Slot, *, partner: bool, now: datetime) -> int:
    """How many places this booker (a partner school's class or not) could take now: the places
    left less those held for partner schools. The booking page shows it; ``has_room`` decides by it."""
    if slot.status != SlotStatus.OPEN:
        return 0
    held_back = 0 if partner else held_for_partners(slot, now)
    return max(0, slot.capacity - held_back - slot.taken)


def places_for_sql(partner, now: datetime):
    """``places_for`` as a SQL expression over ``Slot``, for lists that filter or sum places in the
    database (the venue directory's day). ``partner``: a bool, or a SQL condition (a teacher's school
    is a partner of some venues)."""
    held_back = _held_back_for_partners(now)
    if partner is True:
        held_back = 0
    elif partner is not False:
        held_back = sa.case((partner, 0), else_=held_back)
    left = Slot.capacity - held_back - Slot.taken
    return sa.case((Slot.status != SlotStatus.OPEN, 0), (left > 0, left), else_=0)


def has_room(slot: Slot, seats: int, *, partner: bool, now: datetime) -> bool:
    """What ``take_seats`` would answer, read from a loaded slot: a request for a slot that is
    already full is refused without queuing on the slot's row behind the bookings that are taking
    its last places (1,000 people pressing "book" at 9:00). A reading, not a hold: a ``True`` still
    goes through ``take_seats``, which decides."""
    return seats <= places_for(slot, partner=partner, now=now)


def release_seats(slot_id: int, seats: int, *, partner: bool) -> None:
    """Give back places a booking held (cancel, decline, lower headcount)."""
    db.session.execute(
        sa.update(Slot)
        .where(Slot.id == slot_id)
        .values(taken=Slot.taken - seats,
                partner_taken=Slot.partner_taken - (seats if partner else 0)),
        execution_options={"synchronize_session": False},
    )
    _expire(slot_id)


def set_capacity(slot_id: int, capacity: int) -> bool:
    """Change a slot's capacity unless that would put it below the places already held. Its partner
    reserve keeps the share it was published with, scaled and rounded down as ``partner_reserve``
    rounds (the venue's rules of today apply to new slots only); a reserve that scales to nothing
    is gone, and a slot that held nothing back holds nothing still."""
    reserved = Slot.reserved_seats * capacity // Slot.capacity
    result = db.session.execute(
        sa.update(Slot)
        .where(Slot.id == slot_id, Slot.taken <= capacity)
        .values(capacity=capacity, reserved_seats=reserved,
                reserve_until=sa.case((reserved > 0, Slot.reserve_until), else_=None)),
        execution_options={"synchronize_session": False},
    )
    _expire(slot_id)
    return result.rowcount == 1


def set_terms(slot_id: int, values: dict) -> bool:
    """Correct an open slot's terms (``values``: its ``TERMS`` and what follows from them) unless
    anyone holds a place on it or waits for one; ``False`` then. A booking taking places at the same
    moment holds the slot's row: PostgreSQL re-reads ``taken`` once it commits, SQLite's single
    writer runs this after it, so the correction changes nothing."""
    waiting = sa.exists().where(Booking.slot_id == slot_id, Booking.status == BookingStatus.WAITLISTED)
    result = db.session.execute(
        sa.update(Slot)
        .where(Slot.id == slot_id, Slot.status == SlotStatus.OPEN, Slot.taken == 0, ~waiting)
        .values(**values),
        execution_options={"synchronize_session": False},
    )
    _expire(slot_id)
    return result.rowcount == 1


def _expire(slot_id: int) -> None:
    # The UPDATE bypassed the identity map: make a loaded Slot re-read its counters.
    slot = db.session.identity_map.get(db.session.identity_key(Slot, slot_id))
    if slot is not None:
        db.session.expire(slot)
