"""A venue hears when a class visit it planned for changes without the teacher cancelling it: the
teacher's account is closed (by the teacher or by the city admin), or the numbers of a request still
waiting for its decision change. The mail says what the venue already knew (school, date, numbers)
and nothing more of the person."""
from __future__ import annotations

from sqlalchemy import select

from app.bookings.models import BookingRules, BookingStatus
from app.extensions import db
from app.notifications.models import OutboxMessage
from tests import factories


def _venue_mails(kind: str | None = None) -> list[OutboxMessage]:
    db.session.expire_all()
    query = select(OutboxMessage).where(OutboxMessage.kind.like("venue_class_%")).order_by(OutboxMessage.id)
    if kind is not None:
        query = query.where(OutboxMessage.kind == f"venue_class_{kind}")
    return list(db.session.scalars(query))


def _manager(venue, name="Anna Li"):
    person = factories.user("venue_manager", venue=venue, name=name)
    person.locale = "en"
    db.session.commit()
    return person


def _teacher():
    return factories.user("teacher", name="张老师", phone="13812345678", email="zhang.teacher@example.com",
                          school=factories.school(name_zh="玄武实验小学", name_en="Xuanwu Primary"))


def _school_slot(venue, days_ahead=10):
    return factories.slot(venue, audience="school", days_ahead=days_ahead, capacity=100)


# --- the teacher's account is closed ---------------------------------------------------------------

def test_deleting_a_teachers_account_tells_the_venue_of_each_upcoming_class_visit_it_cancels(client, auth):
    venue, other_venue = factories.venue(), factories.venue()
    manager, other_manager = _manager(venue), _manager(other_venue, name="Li Wei")
    teacher = _teacher()
    request = factories.booked_visit(_school_slot(venue), teacher, students=40, adults=2)
    confirmed = factories.confirmed_visit(_school_slot(venue, days_ahead=12), teacher, students=25, adults=3)
    elsewhere = factories.booked_visit(_school_slot(other_venue, days_ahead=11), teacher)  # a class: one visit at a time
    assert (request.status, confirmed.status) == (BookingStatus.PENDING, BookingStatus.CONFIRMED)
    auth.login(teacher.email)
    asked = client.get("/me/delete?lang=en").get_data(as_text=True)
    assert "The venues of your class visits are told by email" in asked

    assert client.post("/me/delete", data={"password": "password123"}).status_code == 302

    told = {(m.user_id, m.booking_id): m for m in _venue_mails("closed")
            if m.user_id in (manager.id, other_manager.id)}  # confirmed_visit's approver is told as well
    assert set(told) == {(manager.id, request.id), (manager.id, confirmed.id), (other_manager.id, elsewhere.id)}
    mail = told[(manager.id, request.id)]
    assert mail.recipient == manager.email and mail.sent_at is not None  # delivered after the commit
    assert "Xuanwu Primary" in mail.subject
    assert "account" in mail.body and "has been closed" in mail.body and "free again" in mail.body
    assert "40 students, 2 adults" in mail.body and f"/bookings/{request.id}" in mail.body
    assert "25 students, 3 adults" in told[(manager.id, confirmed.id)].body
    for mail in told.values():  # the school, the date and the numbers: nothing more of the person or the class
        for personal in ("张老师", "13812345678", "138****5678", "zhang.teacher", "四年级2班"):
            assert personal not in mail.body and personal not in mail.subject


def test_a_teachers_account_the_city_admin_closes_tells_the_venue_too(client, auth):
    venue = factories.venue()
    manager = _manager(venue)
    teacher = _teacher()
    booking = factories.booked_visit(_school_slot(venue), teacher)
    auth.login(factories.user("city_admin").email)

    assert client.post(f"/admin/people/{teacher.id}/close", data={"reason": "学校来函：已调离"}).status_code == 302

    [told] = _venue_mails("closed")
    assert (told.user_id, told.booking_id) == (manager.id, booking.id)
    assert "学校来函" not in told.body and "张老师" not in told.body  # the admin's reason is for the person alone


def test_a_citizens_deleted_account_sends_the_venue_nothing(client, auth):
    """Pins what must not change: a venue plans for its classes, not for each citizen's party."""
    venue = factories.venue()
    _manager(venue)
    citizen = factories.user("citizen")
    factories.booked_visit(factories.slot(venue, days_ahead=5), citizen)
    auth.login(citizen.email)

    assert client.post("/me/delete", data={"password": "password123"}).status_code == 302
    assert _venue_mails() == []


# --- the numbers of a request change -----------------------------------------------------------------

def _change(client, booking, students, adults):
    return client.post(f"/bookings/{booking.id}/headcount?lang=en", data={"students": students, "adults": adults})


def test_new_numbers_for_a_class_request_reach_the_venue_with_the_numbers_before(client, auth):
    venue = factories.venue()
    manager = _manager(venue)
    booking = factories.booked_visit(_school_slot(venue), _teacher(), students=30, adults=2)
    auth.login(booking.user.email)

    assert _change(client, booking, 38, 3).status_code == 302
    assert _change(client, booking, 25, 2).status_code == 302

    grew, shrank = _venue_mails("changed")
    assert {grew.user_id, shrank.user_id} == {manager.id} and grew.booking_id == booking.id
    assert "Xuanwu Primary" in grew.subject and "/manage/bookings?show=requests" in grew.body
    assert "30 students, 2 adults" in grew.body and "38 students, 3 adults" in grew.body
    assert "38 students, 3 adults" in shrank.body and "25 students, 2 adults" in shrank.body
    assert "张老师" not in grew.body


def test_the_same_numbers_again_send_the_venue_nothing(client, auth):
    """Pins what must not change: nothing changed, so there is nothing to tell."""
    venue = factories.venue()
    _manager(venue)
    booking = factories.booked_visit(_school_slot(venue), _teacher(), students=30, adults=2)
    auth.login(booking.user.email)

    assert _change(client, booking, 30, 2).status_code == 302
    assert _venue_mails("changed") == []


def test_a_confirmed_class_that_grows_back_into_a_request_is_told_once_as_to_approve_again(client, auth):
    """Pins what must not change: the re-approval mail is the one message for that change."""
    venue = factories.venue()
    manager = _manager(venue)
    booking = factories.confirmed_visit(_school_slot(venue), _teacher(), students=30, adults=2)
    auth.login(booking.user.email)
    before = len(_venue_mails())

    assert _change(client, booking, 35, 3).status_code == 302

    after = [m for m in _venue_mails()[before:] if m.user_id == manager.id]
    assert [m.kind for m in after] == ["venue_class_reapproval"]


def test_new_numbers_for_a_confirmed_class_that_stays_confirmed_reach_the_venue(client, auth):
    # Fewer people anywhere, or more at a venue that confirms classes at once: the visit stays
    # confirmed, and the venue, which plans its guides for it, is told the numbers before and after.
    venue = factories.venue()
    db.session.add(BookingRules(venue_id=venue.id, auto_confirm_groups=True))
    manager = _manager(venue)
    booking = factories.confirmed_visit(_school_slot(venue), _teacher(), students=30, adults=2)
    auth.login(booking.user.email)
    before = len(_venue_mails())

    assert _change(client, booking, 36, 3).status_code == 302
    assert _change(client, booking, 20, 2).status_code == 302

    grew, shrank = [m for m in _venue_mails()[before:] if m.user_id == manager.id]
    assert (grew.kind, shrank.kind) == ("venue_class_resized", "venue_class_resized")
    assert "Class visit numbers changed: Xuanwu Primary" in grew.subject and "nothing for you to decide" in grew.body
    assert "30 students, 2 adults" in grew.body and "36 students, 3 adults" in grew.body
    assert "36 students, 3 adults" in shrank.body and "20 students, 2 adults" in shrank.body
    assert f"/bookings/{booking.id}" in shrank.body and "张老师" not in shrank.body
    db.session.expire_all()
    assert booking.status == BookingStatus.CONFIRMED
