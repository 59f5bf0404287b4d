"""A manager corrects an unbooked slot while people book it, at the same instant: one side wins, on
SQLite and PostgreSQL, and nobody ends up holding a time they did not book."""
from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
from sqlalchemy import select, update

from app.accounts.models import User
from app.bookings import services as bookings
from app.bookings.models import Booking, BookingStatus
from app.core.time import from_local, local_today
from app.extensions import db
from app.scheduling import services as scheduling
from app.scheduling.models import Slot, SlotStatus
from tests import factories
from tests.races import race

ROUNDS = 12  # each round races one correction against two bookings of a fresh slot
HELD = (BookingStatus.CONFIRMED, BookingStatus.PENDING, BookingStatus.WAITLISTED)


def _correct(manager_id: int, slot_id: int, day):
    def job():
        manager, slot = db.session.get(User, manager_id), db.session.get(Slot, slot_id)
        scheduling.correct_slot(manager, slot, start=datetime.combine(day, time(14)),
                                end=datetime.combine(day, time(16)), audience="mixed")
        return "corrected"

    return job


def _book(user_id: int, slot_id: int):
    """A citizen's party or a teacher's class, booked on the slot as this worker reads it; returns the
    booking's status and the times its booker was shown."""
    def job():
        person, slot = db.session.get(User, user_id), db.session.get(Slot, slot_id)
        seen = (slot.starts_at, slot.ends_at)
        if person.school_id:
            booking = bookings.book_class_visit(person, slot, students=20, adults=2, grade=4, class_name="四年级1班")
        else:
            booking = bookings.book_individual_visit(person, slot, party_size=2)
        return booking.status.value, seen

    return job


@pytest.mark.parametrize("booker", ["citizen", "teacher"])
def test_a_correction_racing_bookings_never_leaves_a_booking_on_times_it_did_not_choose(app, booker):
    manager = factories.user("venue_manager")
    day = local_today() + timedelta(days=5)
    corrected_start = from_local(datetime.combine(day, time(14)))
    for _ in range(ROUNDS):
        slot = factories.slot(manager.venue, day=day, audience="mixed", capacity=100)
        people = [factories.user(booker).id for _ in range(2)]
        correction, *attempts = race(app, [_correct(manager.id, slot.id, day), *(_book(p, slot.id) for p in people)])
        db.session.expire_all()
        slot = db.session.get(Slot, slot.id)
        held = db.session.scalars(select(Booking).where(Booking.slot_id == slot.id, Booking.status.in_(HELD))).all()
        made = [outcome[1] for outcome in attempts if isinstance(outcome, tuple)]
        # A booking that lost to the correction is refused and says why; it holds nothing.
        assert all(isinstance(outcome, tuple) or outcome == "slot_corrected" for outcome in attempts), attempts
        assert len(held) == len(made)
        # Every booking holds the times its booker was shown.
        assert all(seen == (slot.starts_at, slot.ends_at) for seen in made), (correction, attempts)
        # Exactly one side wins: the correction went through, or it was refused because people booked first.
        if correction == "corrected":
            assert slot.starts_at == corrected_start
        else:
            assert correction == "slot_booked" and made, (correction, attempts)
            assert slot.starts_at != corrected_start
        # Out of the way of the next round's correction (the same time would be a duplicate).
        db.session.execute(update(Slot).where(Slot.id == slot.id).values(status=SlotStatus.CANCELLED))
        db.session.commit()
