"""When a slot's partner reserve is released, the places it held go to the waiting list in order,
as freed places do on a cancel: the hourly job tells the waiters, and a newcomer books behind them."""
from __future__ import annotations

from datetime import timedelta

import time_machine
from sqlalchemy import func, select

from app.bookings.models import Booking, BookingStatus
from app.core.time import utcnow
from app.extensions import db
from app.notifications.models import OutboxMessage
from app.scheduling.models import Slot
from tests import factories


def _held_slot_with_a_waiter(waiting: int = 1):
    """A mixed slot of 10 places, 3 held for partner schools for another hour; citizens have the 7
    others, and one more waits for ``waiting`` places."""
    slot = factories.slot(audience="mixed", days_ahead=20, capacity=10, reserved_seats=3,
                          reserve_until=utcnow() + timedelta(hours=1))
    for party in (4, 3):
        factories.booked_visit(slot, factories.user("citizen"), party_size=party)
    waiter = factories.booked_visit(slot, factories.user("citizen"), party_size=waiting, join_waitlist=True)
    assert waiter.status == BookingStatus.WAITLISTED
    return slot, waiter


def _after_release(slot):
    return time_machine.travel(slot.reserve_until + timedelta(minutes=1), tick=False)


def _status(booking_id: int) -> BookingStatus:
    db.session.expire_all()
    return db.session.get(Booking, booking_id).status


def _taken(slot) -> int:
    db.session.expire_all()
    return db.session.get(Slot, slot.id).taken


def _book(client, slot, party_size: int, **extra):
    headers = {"Authorization": f"Bearer {factories.user_token(factories.user('citizen'))}"}
    return client.post("/api/v1/bookings", json={"slot_id": slot.id, "party_size": party_size, **extra},
                       headers=headers)


def test_the_hourly_job_confirms_waiters_once_the_reserve_is_released(app):
    slot, waiter = _held_slot_with_a_waiter()
    with _after_release(slot):
        result = app.test_cli_runner().invoke(args=["bookings", "close-day"], env={"LC_ALL": "en_US.UTF-8"})
    assert result.exit_code == 0, result.output
    assert "1 booking on a waiting list was confirmed" in result.output
    assert _status(waiter.id) == BookingStatus.CONFIRMED
    assert _taken(slot) == 8


def test_the_hourly_job_leaves_waiters_while_the_reserve_holds(app):
    slot, waiter = _held_slot_with_a_waiter()
    result = app.test_cli_runner().invoke(args=["bookings", "close-day"], env={"LC_ALL": "en_US.UTF-8"})
    assert result.exit_code == 0, result.output
    assert "waiting list" not in result.output
    assert _status(waiter.id) == BookingStatus.WAITLISTED


def test_a_newcomer_books_the_released_places_after_the_waiting_list(client):
    slot, waiter = _held_slot_with_a_waiter(waiting=2)
    with _after_release(slot):
        response = _book(client, slot, 1)
    assert (response.status_code, response.get_json()["status"]) == (201, "confirmed")
    assert _status(waiter.id) == BookingStatus.CONFIRMED
    assert _taken(slot) == 10


def test_a_newcomer_waits_behind_the_waiting_list_when_the_released_places_do_not_suffice(client):
    slot, waiter = _held_slot_with_a_waiter(waiting=2)
    with _after_release(slot):
        refused = _book(client, slot, 2)
        waiting = _book(client, slot, 2, waitlist=True)
    assert (refused.status_code, refused.get_json()["error"]) == (409, "slot_full")
    assert (waiting.status_code, waiting.get_json()["status"]) == (201, "waitlisted")
    assert _status(waiter.id) == BookingStatus.CONFIRMED
    assert _taken(slot) == 9


def _promoted_messages(waiter) -> int:
    return db.session.scalar(select(func.count(OutboxMessage.id)).where(
        OutboxMessage.booking_id == waiter.id, OutboxMessage.kind == "booking_promoted"))


def test_a_refused_newcomer_leaves_the_waiter_confirmed_and_told(client):
    """The newcomer's attempt promotes the waiter first; the places left then do not fit its party,
    so it is refused, and the promotion stands: the waiter does not wait beside free places."""
    slot, waiter = _held_slot_with_a_waiter(waiting=2)
    with _after_release(slot):
        refused = _book(client, slot, 2)
    assert (refused.status_code, refused.get_json()["error"]) == (409, "slot_full")
    assert _status(waiter.id) == BookingStatus.CONFIRMED
    assert _taken(slot) == 9
    assert _promoted_messages(waiter) == 1


def test_a_class_refused_on_the_booking_page_leaves_the_waiter_confirmed(client, auth):
    """A mixed slot of 40 places, 12 held for partner schools for another hour and the other 28 taken;
    a citizen waits for 5. Once the reserve is released a class of 11 (not a partner's) fits the 12
    free places, but the waiter comes first, and the 7 left do not take the class."""
    slot = factories.slot(audience="mixed", days_ahead=20, capacity=40, taken=28, reserved_seats=12,
                          reserve_until=utcnow() + timedelta(hours=1))
    waiter = factories.booked_visit(slot, factories.user("citizen"), party_size=5, join_waitlist=True)
    assert waiter.status == BookingStatus.WAITLISTED
    auth.login(factories.user("teacher").email)
    with _after_release(slot):
        refused = client.post(f"/slots/{slot.id}/book", data={
            "request_key": "a" * 32, "class_name": "四年级2班", "grade": 4, "students": 10, "adults": 1,
            "program_id": 0})
    assert refused.status_code == 409
    assert _status(waiter.id) == BookingStatus.CONFIRMED
    assert _taken(slot) == 33
    assert _promoted_messages(waiter) == 1
    assert db.session.scalar(select(func.count(Booking.id)).where(Booking.slot_id == slot.id)) == 1
