"""Capacity under concurrency: real threads, each with its own database connection."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.accounts.models import User
from app.bookings import services
from app.bookings.models import Booking, BookingStatus
from app.core.errors import DomainError
from app.extensions import db
from app.scheduling.models import Slot
from tests import factories
from tests.races import race


def _book(user_id: int, slot_id: int, party: int = 1, waitlist: bool = False):
    def job():
        user = db.session.get(User, user_id)
        slot = db.session.get(Slot, slot_id)
        booking = services.book_individual_visit(user, slot, party_size=party, join_waitlist=waitlist)
        return booking.status.value

    return job


def _confirmed_seats(slot_id: int) -> int:
    return db.session.scalar(
        select(func.coalesce(func.sum(Booking.seats), 0)).where(
            Booking.slot_id == slot_id, Booking.status == BookingStatus.CONFIRMED)
    )


def test_concurrent_bookings_confirm_exactly_the_capacity(app):
    slot = factories.slot(capacity=40)
    citizens = [factories.user("citizen").id for _ in range(60)]
    outcomes = race(app, [_book(uid, slot.id) for uid in citizens])

    assert outcomes.count("confirmed") == 40
    assert outcomes.count("slot_full") == 20
    db.session.expire_all()
    assert db.session.get(Slot, slot.id).taken == 40
    assert _confirmed_seats(slot.id) == 40


def test_parties_of_different_sizes_never_overfill_a_slot(app):
    slot = factories.slot(capacity=25)
    jobs = [_book(factories.user("citizen").id, slot.id, party=1 + i % 5) for i in range(30)]
    race(app, jobs)
    db.session.expire_all()
    taken = db.session.get(Slot, slot.id).taken
    assert taken <= 25
    assert _confirmed_seats(slot.id) == taken


def test_waitlist_promotion_racing_new_bookings_never_overbooks(app):
    slot = factories.slot(capacity=10)
    holders = [factories.user("citizen") for _ in range(10)]
    for holder in holders:
        services.book_individual_visit(holder, slot, party_size=1)
    waiting = [factories.user("citizen") for _ in range(5)]
    for person in waiting:
        services.book_individual_visit(person, slot, party_size=1, join_waitlist=True)
    db.session.commit()
    holder_bookings = [b.id for b in db.session.scalars(
        select(Booking).where(Booking.slot_id == slot.id, Booking.status == BookingStatus.CONFIRMED))]

    def cancel(booking_id):
        def job():
            booking = db.session.get(Booking, booking_id)
            services.cancel_booking(booking.user, booking)
            return "cancelled"
        return job

    newcomers = [factories.user("citizen").id for _ in range(10)]
    jobs = [cancel(b) for b in holder_bookings[:5]] + [_book(uid, slot.id, waitlist=True) for uid in newcomers]
    race(app, jobs)

    db.session.expire_all()
    slot = db.session.get(Slot, slot.id)
    assert slot.taken == _confirmed_seats(slot.id) == 10
    statuses = dict(db.session.execute(
        select(Booking.user_id, Booking.status).where(Booking.slot_id == slot.id,
                                                      Booking.status != BookingStatus.CANCELLED)).all())
    # Everyone who waited before the cancellations was served before any newcomer.
    assert all(statuses[p.id] == BookingStatus.CONFIRMED for p in waiting)


def test_the_same_person_booking_twice_at_once_gets_one_booking(app):
    slot = factories.slot(capacity=40)
    citizen = factories.user("citizen")
    outcomes = race(app, [_book(citizen.id, slot.id) for _ in range(6)])
    assert outcomes.count("confirmed") == 1
    assert set(outcomes) == {"confirmed", "duplicate_booking"}
    db.session.expire_all()
    assert db.session.get(Slot, slot.id).taken == 1


def test_capacity_cannot_be_lowered_below_the_places_held(app):
    slot = factories.slot(capacity=5)
    manager = factories.user("venue_manager", venue=slot.venue)
    for _ in range(4):
        services.book_individual_visit(factories.user("citizen"), slot, party_size=1)
    db.session.commit()
    with pytest.raises(DomainError) as error:
        services.resize_slot(manager, slot, 3)
    assert error.value.code == "capacity_below_booked"
    db.session.rollback()
    services.resize_slot(manager, slot, 4)
    db.session.commit()
    assert db.session.get(Slot, slot.id).capacity == 4


@pytest.mark.parametrize("taken, partner_taken, reserved, reserve_open, seats, partner", [
    (0, 0, 0, False, 1, False), (39, 0, 0, False, 1, False), (39, 0, 0, False, 2, False),
    (30, 0, 10, True, 1, False), (30, 0, 10, True, 1, True), (25, 0, 10, True, 5, False),
    (25, 0, 10, True, 6, False), (30, 5, 10, True, 5, False), (30, 0, 10, False, 10, False),
    (40, 0, 0, False, 1, True), (35, 10, 10, True, 5, False),
])
def test_the_full_slot_shortcut_answers_what_the_conditional_update_answers(
        app, taken, partner_taken, reserved, reserve_open, seats, partner):
    """``has_room`` lets a request for a full slot go without queuing on its row; it must never
    refuse what ``take_seats`` would give (nor promise what it would not)."""
    from datetime import timedelta

    from app.bookings import capacity
    from app.core.time import utcnow

    now = utcnow()
    slot = factories.slot(capacity=40, taken=taken, partner_taken=partner_taken, reserved_seats=reserved,
                          reserve_until=now + (timedelta(days=1) if reserve_open else -timedelta(days=1)))
    predicted = capacity.has_room(slot, seats, partner=partner, now=now)
    assert capacity.take_seats(slot.id, seats, partner=partner, now=now) is predicted
    db.session.rollback()
