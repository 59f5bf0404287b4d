"""A manager cancels a full slot while citizens join its waiting list, at the same instant: on SQLite
and PostgreSQL, no booking is left waiting on a slot that is gone, untold."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from app.accounts.models import User
from app.bookings import services as bookings
from app.bookings.models import Booking, BookingStatus
from app.core.time import local_today
from app.extensions import db
from app.scheduling import services as scheduling
from app.scheduling.models import Slot, SlotStatus
from tests import factories
from tests.races import race

ROUNDS = 15  # each round races one cancellation against three bookings of a fresh full slot
HELD = (BookingStatus.CONFIRMED, BookingStatus.PENDING, BookingStatus.WAITLISTED)


def _cancel(manager_id: int, slot_id: int):
    def job():
        return scheduling.cancel_slot(db.session.get(User, manager_id), db.session.get(Slot, slot_id),
                                      reason="设备检修")
    return job


def _join_waiting_list(user_id: int, slot_id: int):
    def job():
        booking = bookings.book_individual_visit(db.session.get(User, user_id), db.session.get(Slot, slot_id),
                                                 party_size=1, join_waitlist=True)
        return booking.status.value
    return job


def test_a_cancellation_racing_the_waiting_list_leaves_no_booking_on_the_cancelled_slot(app):
    manager = factories.user("venue_manager")
    day = local_today() + timedelta(days=5)
    for _ in range(ROUNDS):
        slot = factories.slot(manager.venue, day=day, capacity=2)
        factories.booked_visit(slot, factories.user("citizen"), party_size=2)
        people = [factories.user("citizen").id for _ in range(3)]
        cancelled, *attempts = race(app, [_cancel(manager.id, slot.id),
                                          *(_join_waiting_list(p, slot.id) for p in people)])
        db.session.expire_all()
        assert db.session.get(Slot, slot.id).status == SlotStatus.CANCELLED, cancelled
        left = db.session.scalars(select(Booking.id).where(Booking.slot_id == slot.id, Booking.status.in_(HELD)))
        assert list(left) == [], (cancelled, attempts)
        # Each attempt either joined the list in time to be cancelled with the slot, or was told why not.
        assert all(outcome in ("waitlisted", "slot_unavailable", "slot_closed") for outcome in attempts), attempts
        db.session.execute(update(Slot).where(Slot.id == slot.id).values(status=SlotStatus.CANCELLED))
        db.session.commit()
