"""A venue hears of its class visits: its active managers are emailed, each in their language, when a
class asks to come and when a teacher cancels (with the teacher's reason, also shown on the booking's
page); their dashboard counts the requests waiting. Citizens' bookings send the venue nothing."""
from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from app.bookings.models import Booking, BookingRules, BookingStatus
from app.extensions import db
from app.notifications.models import OutboxMessage
from tests import factories


def _venue_mails() -> list[OutboxMessage]:
    db.session.expire_all()
    return list(db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind.like("venue_class_%"))
                                   .order_by(OutboxMessage.id)))


def _manager(venue, *, locale=None, name="王经理", disabled=False):
    person = factories.user("venue_manager", venue=venue, name=name)
    person.locale, person.is_disabled = locale, disabled
    db.session.commit()
    return person


def _book_class(client, slot, **data):
    page = client.get(f"/slots/{slot.id}/book").get_data(as_text=True)
    key = re.search(r'name="request_key" type="hidden" value="([0-9a-f]+)"', page).group(1)
    form = {"request_key": key, "class_name": "四年级2班", "grade": 4, "students": 40, "adults": 2, "program_id": 0}
    return client.post(f"/slots/{slot.id}/book", data={**form, **data})


def test_the_venues_active_managers_are_told_of_a_class_request_each_in_their_language(client, auth):
    venue = factories.venue(name_zh="紫金山科普馆", name_en="Purple Mountain Hall")
    chinese, english = _manager(venue), _manager(venue, locale="en", name="Anna Li")
    _manager(venue, disabled=True)  # suspended: no longer looks after the venue
    slot = factories.slot(venue, audience="school", days_ahead=10, capacity=100)
    teacher = factories.user("teacher", school=factories.school(name_zh="玄武实验小学", name_en="Xuanwu Primary"))
    auth.login(teacher.email)
    assert _book_class(client, slot).status_code == 302

    mails = {m.user_id: m for m in _venue_mails()}
    assert set(mails) == {chinese.id, english.id}
    assert {m.kind for m in mails.values()} == {"venue_class_requested"}
    assert mails[chinese.id].recipient == chinese.email
    assert "玄武实验小学" in mails[chinese.id].subject and "王经理" in mails[chinese.id].body
    assert "四年级2班" in mails[chinese.id].body and "紫金山科普馆" in mails[chinese.id].body
    assert "Xuanwu Primary" in mails[english.id].subject and "Purple Mountain Hall" in mails[english.id].body
    assert "40 students, 2 adults" in mails[english.id].body and "lapses" in mails[english.id].body
    assert "/manage/bookings?show=requests" in mails[english.id].body
    assert teacher.name not in mails[english.id].body  # the booking's page shows the teacher to the venue


def test_citizens_bookings_and_classes_confirmed_at_once_send_the_venue_no_request(client, auth):
    venue = factories.venue()
    _manager(venue)
    db.session.add(BookingRules(venue_id=venue.id, auto_confirm_groups=True))
    db.session.commit()
    auth.login(factories.user("citizen").email)
    assert client.post(f"/slots/{factories.slot(venue).id}/book", data={"party_size": 2}).status_code == 302
    auth.logout()
    auth.login(factories.user("teacher").email)
    assert _book_class(client, factories.slot(venue, audience="school", days_ahead=10, capacity=100)).status_code == 302

    assert db.session.scalar(select(Booking.status).where(Booking.kind == "group")) == BookingStatus.CONFIRMED
    assert _venue_mails() == []


def test_a_cancelled_class_visit_reaches_the_venue_with_the_teachers_reason(client, auth):
    venue = factories.venue()
    manager = _manager(venue, locale="en")
    slot = factories.slot(venue, audience="school", days_ahead=10, capacity=100)
    booking = factories.confirmed_visit(slot, factories.user("teacher"), now=slot.starts_at - timedelta(days=5))
    auth.login(booking.user.email)
    asked = client.get(f"/bookings/{booking.id}/cancel?lang=en").get_data(as_text=True)
    assert "The venue is told by email, with your reason" in asked
    response = client.post(f"/bookings/{booking.id}/cancel", data={"reason": "学校临时安排期中考试"})
    assert response.status_code == 302
    [told] = [m for m in _venue_mails() if m.user_id == manager.id and m.kind == "venue_class_cancelled"]
    assert "Reason given by the teacher: 学校临时安排期中考试" in told.body and f"/bookings/{booking.id}" in told.body
    assert "cancelled its class visit" in told.body
    auth.logout()

    auth.login(manager.email)
    page = client.get(f"/bookings/{booking.id}?lang=en").get_data(as_text=True)
    assert "Cancelled" in page and "学校临时安排期中考试" in page


def test_a_withdrawn_class_request_reaches_the_venue_and_a_citizens_cancellation_does_not(client, auth):
    venue = factories.venue()
    manager = _manager(venue, locale="en")
    request = factories.booked_visit(factories.slot(venue, audience="school", days_ahead=10, capacity=100),
                                     factories.user("teacher"))
    party = factories.booked_visit(factories.slot(venue), factories.user("citizen"))
    auth.login(request.user.email)
    assert client.post(f"/bookings/{request.id}/cancel", data={}).status_code == 302
    auth.logout()
    auth.login(party.user.email)
    assert client.post(f"/bookings/{party.id}/cancel", data={"reason": "生病"}).status_code == 302

    kinds = [(m.kind, m.booking_id) for m in _venue_mails() if m.user_id == manager.id]
    assert kinds == [("venue_class_requested", request.id), ("venue_class_withdrawn", request.id)]
    withdrawn = _venue_mails()[-1]
    assert "withdrawn its class visit request" in withdrawn.body and "Reason given" not in withdrawn.body


def test_a_class_cancelled_through_the_api_reaches_the_venue(client):
    venue = factories.venue()
    manager = _manager(venue)
    booking = factories.booked_visit(factories.slot(venue, audience="school", days_ahead=10, capacity=100),
                                     factories.user("teacher"))
    response = client.post(f"/api/v1/bookings/{booking.id}/cancel", json={"reason": "春游改期"},
                           headers={"Authorization": f"Bearer {factories.user_token(booking.user)}"})
    assert response.status_code == 200 and response.get_json()["status"] == "cancelled"
    [withdrawn] = [m for m in _venue_mails() if m.kind == "venue_class_withdrawn"]
    assert withdrawn.user_id == manager.id and "春游改期" in withdrawn.body


def test_the_managers_dashboard_counts_the_requests_waiting_and_links_to_them_alone(client, auth):
    venue = factories.venue()
    manager = _manager(venue)
    for _ in range(2):
        factories.booked_visit(factories.slot(venue, audience="school", days_ahead=10, capacity=100),
                               factories.user("teacher"))
    started = factories.slot_at(venue, audience="school")  # a request undecided at its start has lapsed
    factories.booked_visit(started, factories.user("teacher"), now=started.starts_at - timedelta(days=4))
    factories.confirmed_visit(factories.slot(venue, audience="school", days_ahead=12, capacity=100),
                              factories.user("teacher", school=factories.school(name_zh="已批准小学")))
    factories.booked_visit(factories.slot(audience="school", days_ahead=10, capacity=100),
                           factories.user("teacher"))  # another venue's

    auth.login(manager.email)
    dashboard = client.get("/me?lang=en").get_data(as_text=True)
    assert re.search(r'href="/manage/bookings\?show=requests">Class visit requests to decide</a>\s*'
                     r'<span class="badge warn">2 waiting</span>', dashboard), dashboard
    listed = client.get("/manage/bookings?show=requests&lang=en").get_data(as_text=True)
    assert listed.count('class="card"') == 2 and "Upcoming visits" not in listed and "已批准小学" not in listed
    assert "Upcoming visits" in client.get("/manage/bookings?lang=en").get_data(as_text=True)


def test_a_manager_with_no_requests_waiting_sees_no_count(client, auth):
    manager = _manager(factories.venue())
    auth.login(manager.email)
    dashboard = client.get("/me?lang=en").get_data(as_text=True)
    assert "Class visit requests to decide" in dashboard and "waiting</span>" not in dashboard
