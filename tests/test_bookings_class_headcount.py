"""A class's headcount changes, both ways: fewer people give places back; more take places as a new
class booking would (its window, the one capacity rule, group size and adult ratio), and a visit the
venue approved goes back to it for approval. Races use real threads, each with its own connection."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.accounts.models import User
from app.bookings import services
from app.bookings.models import Booking, BookingRules, BookingStatus
from app.core.time import utcnow
from app.extensions import db
from app.notifications.models import OutboxMessage
from app.scheduling.models import Slot
from tests import factories
from tests.conftest import Auth
from tests.races import race


def _class(*, capacity=100, students=30, adults=2, auto_confirm=False, approve=False, venue=None, **slot):
    """A teacher's class booked on a school slot ten days ahead (a request, or approved by ``approve``,
    a manager of the venue); the venue confirms classes at once with ``auto_confirm``."""
    venue = venue or factories.venue()
    if auto_confirm:
        db.session.add(BookingRules(venue_id=venue.id, auto_confirm_groups=True))
        db.session.commit()
    slot = factories.slot(venue, audience="school", days_ahead=slot.pop("days_ahead", 10), capacity=capacity, **slot)
    booking = factories.booked_visit(slot, factories.user("teacher"), students=students, adults=adults)
    if approve:
        services.approve_booking(approve, booking)
        db.session.commit()
    return booking


def _change(client, booking, students, adults, **kw):
    return client.post(f"/bookings/{booking.id}/headcount?lang=en", data={"students": students, "adults": adults},
                       **kw)


def _fresh(booking) -> Booking:
    db.session.expire_all()
    return db.session.get(Booking, booking.id)


def _taken(booking) -> int:
    db.session.expire_all()
    return db.session.get(Slot, booking.slot_id).taken


def _mails(kind: str) -> list[OutboxMessage]:
    return list(db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == kind).order_by(OutboxMessage.id)))


def _flashes(html: str) -> str:
    found = re.search(r'<div class="flashes".*?</div>', html, re.S)
    return found.group(0) if found else ""


# --- more people ----------------------------------------------------------------------------------

def test_a_class_request_grows_while_places_are_left_and_stays_a_request(client, auth):
    booking = _class(students=30, adults=2)
    auth.login(booking.user.email)
    page = client.get(f"/bookings/{booking.id}?lang=en").get_data(as_text=True)
    assert "Change the number of people" in page and "You can add people until" in page
    assert "please contact the venue" not in page

    response = _change(client, booking, 38, 3, follow_redirects=True)
    assert "The new numbers are saved." in _flashes(response.get_data(as_text=True))
    booking = _fresh(booking)
    assert (booking.students, booking.adults, booking.seats, booking.status) == (38, 3, 41, BookingStatus.PENDING)
    assert _taken(booking) == 41
    assert [m.user_id for m in _mails("booking_changed")] == [booking.user_id]
    assert _mails("venue_class_reapproval") == []  # a request is decided as it now stands


def test_a_confirmed_class_that_grows_goes_back_to_the_venue_for_approval(client, auth):
    venue = factories.venue()
    manager = factories.user("venue_manager", venue=venue)
    booking = _class(venue=venue, approve=manager, students=30, adults=2)
    old_version = _fresh(booking).ticket_version
    auth.login(booking.user.email)
    page = client.get(f"/bookings/{booking.id}?lang=en").get_data(as_text=True)
    assert "your booking goes back to it for approval" in page and "the whole visit is off" in page  # said first

    response = _change(client, booking, 35, 3, follow_redirects=True)
    assert "sent to the venue for approval" in _flashes(response.get_data(as_text=True))
    booking = _fresh(booking)
    assert booking.status == BookingStatus.PENDING and booking.decided_at is None and booking.decided_by_id is None
    assert booking.ticket_version > old_version and _taken(booking) == 38
    [told] = _mails("venue_class_reapproval")
    assert told.user_id == manager.id and "35" in told.body and "/manage/bookings?show=requests" in told.body
    auth.logout()

    auth.login(manager.email)
    assert "四年级2班" in client.get("/manage/bookings?show=requests").get_data(as_text=True)
    assert client.post(f"/manage/bookings/{booking.id}/approve").status_code == 302
    assert _fresh(booking).status == BookingStatus.CONFIRMED


@pytest.mark.parametrize("back_to", [(30, 2), (28, 2)])
def test_a_confirmed_class_grown_by_mistake_is_confirmed_again_when_its_numbers_come_back(client, auth, back_to):
    venue = factories.venue()
    manager = factories.user("venue_manager", venue=venue)
    booking = _class(venue=venue, approve=manager, students=30, adults=2)
    auth.login(booking.user.email)
    _change(client, booking, 30, 3)
    assert _fresh(booking).status == BookingStatus.PENDING
    page = client.get(f"/bookings/{booking.id}?lang=en").get_data(as_text=True)
    assert "The venue confirmed this visit for 32 people: with that many or fewer, it is confirmed again" in page
    assert "场馆已确认本次参观 32 人" in client.get(f"/bookings/{booking.id}?lang=zh").get_data(as_text=True)

    response = _change(client, booking, *back_to, follow_redirects=True)
    flashes = _flashes(response.get_data(as_text=True))
    assert "The visit is confirmed again: these numbers are within those the venue confirmed." in flashes
    booking = _fresh(booking)
    assert (booking.status, booking.seats, _taken(booking)) == (BookingStatus.CONFIRMED, sum(back_to), sum(back_to))
    assert booking.decided_at is not None
    assert "confirmed again" not in client.get(f"/bookings/{booking.id}?lang=en").get_data(as_text=True)
    [resized] = _mails("venue_class_resized")  # the venue's request is gone: the visit it plans for
    assert resized.user_id == manager.id
    # Growing again goes back for approval against the numbers confirmed now.
    _change(client, booking, back_to[0] + 1, back_to[1])
    assert _fresh(booking).status == BookingStatus.PENDING
    assert "for %d people" % sum(back_to) in client.get(f"/bookings/{booking.id}?lang=en").get_data(as_text=True)
    _change(client, booking, *back_to)
    assert _fresh(booking).status == BookingStatus.CONFIRMED


def test_a_class_request_never_confirmed_stays_a_request_however_it_shrinks(client, auth):
    booking = _class(students=30, adults=2)
    auth.login(booking.user.email)
    assert "confirmed again" not in client.get(f"/bookings/{booking.id}?lang=en").get_data(as_text=True)
    _change(client, booking, 20, 2)
    assert _fresh(booking).status == BookingStatus.PENDING


def test_a_confirmed_class_stays_confirmed_where_the_venue_confirms_classes_at_once(client, auth):
    booking = _class(auto_confirm=True, students=30, adults=2)
    assert booking.status == BookingStatus.CONFIRMED
    auth.login(booking.user.email)
    assert "goes back to it for approval" not in client.get(f"/bookings/{booking.id}?lang=en").get_data(as_text=True)

    response = _change(client, booking, 40, 2, follow_redirects=True)
    assert "no longer work at the gate" in _flashes(response.get_data(as_text=True))  # a new ticket to bring
    booking = _fresh(booking)
    assert booking.status == BookingStatus.CONFIRMED and booking.seats == 42 and _taken(booking) == 42
    assert _mails("venue_class_reapproval") == []


def test_a_class_cannot_grow_past_the_places_left_and_is_told_how_many_are(client, auth):
    booking = _class(capacity=40, students=30, adults=2)
    auth.login(booking.user.email)
    response = _change(client, booking, 40, 2)
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and "Only 8 more places are left at this time." in html
    assert 'value="40"' in html  # what was typed is kept
    booking = _fresh(booking)
    assert (booking.students, booking.adults) == (30, 2) and _taken(booking) == 32
    assert _change(client, booking, 38, 2).status_code == 302 and _taken(booking) == 40


def test_a_class_of_a_school_that_is_no_partner_cannot_grow_into_the_places_held_for_partners(client, auth):
    booking = _class(capacity=80, reserved_seats=30, reserve_until=utcnow() + timedelta(days=5), students=40,
                     adults=2)
    auth.login(booking.user.email)
    response = _change(client, booking, 60, 3)
    assert response.status_code == 400 and "Only 8 more places are left" in response.get_data(as_text=True)
    assert _taken(booking) == 42


@pytest.mark.parametrize("students, adults, said", [
    (61, 4, "A class visit here is for 10 to 60 students."),
    (45, 2, "45 students need at least 3 accompanying adults: add 1 more."),
])
def test_a_growing_class_keeps_to_the_group_size_and_the_adult_ratio(client, auth, students, adults, said):
    booking = _class(students=40, adults=2)
    auth.login(booking.user.email)
    response = _change(client, booking, students, adults)
    assert response.status_code == 400 and said in response.get_data(as_text=True)
    assert _fresh(booking).seats == 42 and _taken(booking) == 42


@pytest.mark.parametrize("contact, said", [
    ({"contact_phone": "025-8480 0000"}, "To bring more people, call the venue: 025-8480 0000. You can"),
    ({"contact_email": "groups@example.org"}, "To bring more people, write to the venue: groups@example.org."),
    ({}, None),
])
def test_once_classes_can_no_longer_book_the_slot_a_class_only_shrinks_and_is_told_whom_to_ask(
        client, auth, contact, said):
    venue = factories.venue(**contact)
    # Class bookings close 5 days before this slot, 3 days away: changes (the 24-hour cutoff) are still open.
    slot = factories.slot(venue, audience="school", days_ahead=3, window_closes_hours=120)
    booking = factories.booked_visit(slot, factories.user("teacher"), students=30, adults=2,
                                     now=slot.starts_at - timedelta(days=10))
    auth.login(booking.user.email)
    page = client.get(f"/bookings/{booking.id}?lang=en").get_data(as_text=True)
    assert "Fewer people coming?" in page and "More people can no longer be booked for this visit" in page
    if contact.get("contact_phone"):
        assert 'href="tel:025-84800000"' in page
    elif contact:
        assert 'href="mailto:groups@example.org"' in page

    response = _change(client, booking, 32, 2)
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and "More people can no longer be booked for this visit" in html
    if said:
        assert said in html
    else:  # no telephone or email published: nobody is sent to "contact the venue"
        assert "contact the venue" not in html and "call the venue" not in html and "write to the venue" not in html
    assert _taken(booking) == 32
    assert _change(client, booking, 25, 2).status_code == 302 and _taken(booking) == 27  # fewer still may


@pytest.mark.parametrize("change", ["school_closed", "moved", "unverified"])
def test_a_teacher_who_could_not_book_the_class_now_cannot_add_people_but_may_lower_the_numbers(
        client, auth, change):
    """Adding people takes places as a new booking does, so it asks what a new booking asks of the
    teacher; lowering the numbers gives places back and stays open."""
    booking = _class(students=30, adults=2)
    teacher = booking.user
    if change == "school_closed":
        teacher.school.is_active = False
    elif change == "moved":
        teacher.school_id = factories.school().id
    else:
        teacher.verified_at = None
    db.session.commit()
    auth.login(teacher.email)

    response = _change(client, booking, 40, 2)

    said = {"school_closed": "Your school is marked closed in the schools registry",
            "moved": "This visit is for the class of a school you no longer teach at",
            "unverified": "Your teacher account is waiting for verification by the district."}[change]
    assert response.status_code in (400, 403) and said in response.get_data(as_text=True)
    assert _fresh(booking).seats == 32 and _taken(booking) == 32
    assert _change(client, booking, 25, 2).status_code == 302 and _taken(booking) == 27


# --- at once ---------------------------------------------------------------------------------------


def _change_job(booking_id: int, students: int, adults: int):
    def job():
        booking = db.session.get(Booking, booking_id)
        services.change_headcount(db.session.get(User, booking.user_id), booking, students=students, adults=adults)
        return "changed"
    return job


def _cancel_job(booking_id: int):
    def job():
        booking = db.session.get(Booking, booking_id)
        services.cancel_booking(db.session.get(User, booking.user_id), booking)
        return "cancelled"
    return job


def _held(slot_id: int) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.coalesce(func.sum(Booking.seats), 0)).where(
        Booking.slot_id == slot_id, Booking.status.in_([BookingStatus.PENDING, BookingStatus.CONFIRMED])))


def test_classes_growing_at_once_never_overfill_the_slot(app):
    slot = factories.slot(audience="school", days_ahead=10, capacity=100)
    classes = [factories.booked_visit(slot, factories.user("teacher"), students=20, adults=1).id for _ in range(4)]
    # 84 places taken, 16 left: one class of the four can grow by 11.
    outcomes = race(app, [_change_job(booking_id, 30, 2) for booking_id in classes])

    assert sorted(outcomes) == ["changed", "slot_full", "slot_full", "slot_full"]
    assert db.session.get(Slot, slot.id).taken == _held(slot.id) == 95


def test_one_change_sent_several_times_at_once_takes_its_places_once(app):
    slot = factories.slot(audience="school", days_ahead=10, capacity=100)
    booking = factories.booked_visit(slot, factories.user("teacher"), students=20, adults=1)
    outcomes = race(app, [_change_job(booking.id, 30, 2) for _ in range(6)])

    assert "changed" in outcomes and set(outcomes) <= {"changed", "booking_changed"}
    booking = _fresh(booking)
    assert booking.seats == 32 and db.session.get(Slot, slot.id).taken == _held(slot.id) == 32


def test_growing_shrinking_and_cancelling_one_class_at_once_loses_no_place(app):
    slot = factories.slot(audience="school", days_ahead=10, capacity=100)
    other = factories.booked_visit(slot, factories.user("teacher"), students=40, adults=2)
    booking = factories.booked_visit(slot, factories.user("teacher"), students=20, adults=1)
    race(app, [_change_job(booking.id, 30, 2), _change_job(booking.id, 15, 1), _cancel_job(booking.id),
                _change_job(other.id, 50, 3)])

    assert db.session.get(Slot, slot.id).taken == _held(slot.id)


def test_a_request_the_teacher_changes_while_the_managers_page_is_open_is_not_approved_unseen(app, client, auth):
    booking = _class(students=11, adults=1)
    manager = factories.user("venue_manager", venue=booking.slot.venue)
    auth.login(manager.email)
    page = client.get("/manage/bookings?lang=en").get_data(as_text=True)
    shown = re.search(rf'/manage/bookings/{booking.id}/approve".*?name="version" value="(\d+)"', page, re.S).group(1)

    teacher = app.test_client()
    Auth(teacher).login(booking.user.email)
    assert _change(teacher, booking, 18, 1).status_code == 302

    refused = client.post(f"/manage/bookings/{booking.id}/approve?lang=en", data={"version": shown},
                          follow_redirects=True)
    assert ("The teacher changed this request after your page was shown: it is now for 18 students, 1 adult. "
            "Look at it again before approving.") in _flashes(refused.get_data(as_text=True))
    assert _fresh(booking).status == BookingStatus.PENDING and _mails("booking_approved") == []

    page = client.get("/manage/bookings?lang=en").get_data(as_text=True)
    shown = re.search(rf'/manage/bookings/{booking.id}/approve".*?name="version" value="(\d+)"', page, re.S).group(1)
    approved = client.post(f"/manage/bookings/{booking.id}/approve?lang=en", data={"version": shown},
                           follow_redirects=True)
    assert "Approved. The teacher has been told." in _flashes(approved.get_data(as_text=True))
    booking = _fresh(booking)
    assert (booking.status, booking.approved_seats) == (BookingStatus.CONFIRMED, 19)
    assert len(_mails("booking_approved")) == 1


def test_a_request_the_teacher_withdraws_while_the_manager_declines_says_so(app, client, auth):
    booking = _class(students=11, adults=1)
    auth.login(factories.user("venue_manager", venue=booking.slot.venue).email)
    assert 'name="reason"' in client.get(f"/manage/bookings/{booking.id}/decline?lang=en").get_data(as_text=True)
    teacher = app.test_client()
    Auth(teacher).login(booking.user.email)
    assert teacher.post(f"/bookings/{booking.id}/cancel", data={"reason": ""}).status_code == 302
    assert _fresh(booking).status == BookingStatus.CANCELLED

    refused = client.post(f"/manage/bookings/{booking.id}/decline?lang=en", data={"reason": "满了"},
                          follow_redirects=True)
    assert "The teacher has withdrawn this request: there is nothing to decide." in _flashes(
        refused.get_data(as_text=True))
    assert refused.request.path == "/manage/bookings" and _mails("booking_declined") == []
