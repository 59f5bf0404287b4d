"""Cancelling is asked once more before anything is given up; lowering a confirmed class's numbers
says on the page that the old slip and QR code no longer work, and offers the new ones."""
from __future__ import annotations

import re
from datetime import timedelta

from app.bookings import services as booking_services
from app.bookings.models import Booking, BookingStatus
from app.checkin import tickets
from app.core.time import utcnow
from app.extensions import db
from tests import factories


def _html(response) -> str:
    return response.get_data(as_text=True)


def _text(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", _html(response)))


def _status(booking_id: int) -> BookingStatus:
    db.session.expire_all()
    return db.session.get(Booking, booking_id).status


def _class(teacher, **kw) -> Booking:
    return factories.confirmed_visit(factories.slot(audience="school", days_ahead=10, capacity=100), teacher, **kw)


# --- cancelling asks first ---------------------------------------------------------------------------

def test_the_booking_page_cancels_nothing_in_one_tap_but_leads_to_a_question(client, auth):
    citizen = factories.user("citizen")
    booking = factories.booked_visit(factories.slot(), citizen)
    auth.login(citizen.email)

    page = _html(client.get(f"/bookings/{booking.id}?lang=en"))
    assert f'action="/bookings/{booking.id}/cancel"' not in page
    assert f'href="/bookings/{booking.id}/cancel"' in page and "Cancel this booking…" in page

    question = client.get(f"/bookings/{booking.id}/cancel?lang=en")
    text = _text(question)
    assert question.status_code == 200 and "Cancel this booking?" in text and "cannot be undone" in text
    assert "Yes, cancel this booking" in text and "Keep the booking and go back" in text
    assert _status(booking.id) == BookingStatus.CONFIRMED


def test_a_teacher_confirms_cancelling_a_class_visit_and_is_told_what_is_given_up(client, auth):
    teacher = factories.user("teacher")
    booking = _class(teacher)
    auth.login(teacher.email)

    question = _text(client.get(f"/bookings/{booking.id}/cancel?lang=en"))
    assert "四年级2班 (30 students, 2 adults)" in question
    assert "its QR code and a printed slip are refused at the entrance" in question
    assert "book again" in question
    assert "取消此预约？" in _text(client.get(f"/bookings/{booking.id}/cancel?lang=zh"))

    done = client.post(f"/bookings/{booking.id}/cancel?lang=en", data={"reason": "期中考试"}, follow_redirects=True)
    assert "Your booking is cancelled." in _text(done)
    assert _status(booking.id) == BookingStatus.CANCELLED
    assert db.session.get(Booking, booking.id).cancel_reason == "期中考试"


def test_leaving_the_waiting_list_is_asked_in_its_own_words(client, auth):
    full = factories.slot(capacity=1)
    factories.booked_visit(full, factories.user("citizen"), party_size=1)
    citizen = factories.user("citizen")
    waiting = factories.booked_visit(full, citizen, party_size=1, join_waitlist=True)
    assert waiting.status == BookingStatus.WAITLISTED
    auth.login(citizen.email)

    assert "Leave the waiting list…" in _text(client.get(f"/bookings/{waiting.id}?lang=en"))
    question = _text(client.get(f"/bookings/{waiting.id}/cancel?lang=en"))
    assert "Leave the waiting list?" in question and "Yes, leave the waiting list" in question


def test_the_question_for_a_booking_no_longer_cancellable_says_so_on_the_booking(client, auth):
    citizen = factories.user("citizen")
    booking = factories.booked_visit(factories.slot(), citizen)
    booking_services.cancel_booking(citizen, booking)
    db.session.commit()
    auth.login(citizen.email)

    response = client.get(f"/bookings/{booking.id}/cancel?lang=en", follow_redirects=True)
    assert response.request.path == f"/bookings/{booking.id}"
    assert "This booking can no longer be cancelled." in _text(response)


def test_the_question_is_only_the_bookers(client, auth):
    citizen = factories.user("citizen")
    booking = factories.booked_visit(factories.slot(), citizen)
    for person in (factories.user("venue_staff", venue=booking.venue), factories.user("citizen")):
        auth.login(person.email)
        assert client.get(f"/bookings/{booking.id}/cancel").status_code in (403, 404)
        auth.logout()
    assert _status(booking.id) == BookingStatus.CONFIRMED


# --- a lowered class: the old slip and code are void, the new ones offered --------------------------

def test_lowering_a_confirmed_class_says_the_old_slip_and_code_no_longer_work_and_offers_the_new(client, auth):
    teacher = factories.user("teacher")
    booking = _class(teacher)
    old_code = tickets.code_for_booking(booking)
    auth.login(teacher.email)

    response = client.post(f"/bookings/{booking.id}/headcount?lang=en", data={"students": 25, "adults": 2},
                           follow_redirects=True)
    html = _html(response)
    flashes = re.search(r'<div class="flashes".*?</div>', html, re.S).group(0)
    assert "The slip you printed and the QR code you saved before no longer work at the gate" in flashes
    assert f'href="/bookings/{booking.id}/slip"' in flashes and 'href="#ticket"' in flashes
    db.session.expire_all()
    new_code = tickets.code_for_booking(db.session.get(Booking, booking.id))
    assert new_code != old_code and tickets.grouped(new_code) in html and 'id="ticket"' in html

    chinese = client.post(f"/bookings/{booking.id}/headcount?lang=zh", data={"students": 24, "adults": 2},
                          follow_redirects=True)
    assert "打印新的确认单" in _html(chinese)


def test_lowering_a_class_still_awaiting_approval_speaks_of_no_old_ticket(client, auth):
    teacher = factories.user("teacher")
    pending = factories.booked_visit(factories.slot(audience="school", days_ahead=10, capacity=100), teacher)
    auth.login(teacher.email)

    html = _html(client.post(f"/bookings/{pending.id}/headcount?lang=en", data={"students": 25, "adults": 2},
                             follow_redirects=True))
    assert "The new numbers are saved." in html and "no longer work" not in html


def test_the_question_is_not_asked_once_the_cutoff_has_passed(client, auth):
    citizen = factories.user("citizen")
    # A visit in 3 hours: inside the venue's default 24-hour cutoff, booked before it.
    booking = factories.confirmed_visit(factories.slot_at(starts_in=timedelta(hours=3), audience="public"), citizen,
                                        now=utcnow() - timedelta(days=2))
    auth.login(citizen.email)

    response = client.get(f"/bookings/{booking.id}/cancel?lang=en", follow_redirects=True)
    assert response.request.path == f"/bookings/{booking.id}"
    assert "This booking can no longer be cancelled." in _text(response)
    assert _status(booking.id) == BookingStatus.CONFIRMED
