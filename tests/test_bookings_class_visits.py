"""Teachers book class visits; managers decide; partner schools come first (馆校合作)."""
from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from app.bookings.models import Booking, BookingRules, BookingStatus, Partnership
from app.core.time import local_today, utcnow
from app.extensions import db
from app.notifications.models import OutboxMessage
from app.scheduling.models import Slot
from tests import factories


def _book_class(client, slot_id, **data):
    page = client.get(f"/slots/{slot_id}/book").get_data(as_text=True)
    # Outside the teacher's window the page offers no form (nor key): a submission is still refused.
    key = re.search(r'name="request_key" type="hidden" value="([0-9a-f]+)"', page)
    form = {"request_key": key.group(1) if key else "0" * 32, "class_name": "四年级2班", "grade": 4, "students": 40,
            "adults": 2,
            "program_id": 0}
    form.update(data)
    return client.post(f"/slots/{slot_id}/book", data=form)


def _taken(slot_id):
    db.session.expire_all()
    return db.session.get(Slot, slot_id).taken


def test_teacher_requests_a_class_visit_and_the_manager_approves_it(client, auth):
    slot = factories.slot(audience="school", days_ahead=10, window_closes_hours=72, capacity=100)
    manager = factories.user("venue_manager", venue=slot.venue)
    teacher = factories.user("teacher")
    auth.login(teacher.email)

    response = _book_class(client, slot.id)
    assert response.status_code == 302
    booking = db.session.scalar(select(Booking).where(Booking.user_id == teacher.id))
    assert booking.status == BookingStatus.PENDING
    assert booking.seats == 42 and _taken(slot.id) == 42  # adults count toward capacity
    auth.logout()

    auth.login(manager.email)
    assert "四年级2班" in client.get("/manage/bookings").get_data(as_text=True)
    assert client.post(f"/manage/bookings/{booking.id}/approve").status_code == 302
    db.session.expire_all()
    assert db.session.get(Booking, booking.id).status == BookingStatus.CONFIRMED
    assert db.session.scalar(select(OutboxMessage).where(OutboxMessage.user_id == teacher.id,
                                                         OutboxMessage.kind == "booking_approved"))


def test_declining_needs_a_reason_and_frees_the_places(client, auth):
    slot = factories.slot(audience="school", days_ahead=10, capacity=100)
    manager = factories.user("venue_manager", venue=slot.venue)
    teacher = factories.user("teacher")
    auth.login(teacher.email)
    _book_class(client, slot.id)
    booking = db.session.scalar(select(Booking))
    auth.logout()

    auth.login(manager.email)
    assert client.post(f"/manage/bookings/{booking.id}/decline", data={"reason": ""}).status_code == 400
    assert client.post(f"/manage/bookings/{booking.id}/decline",
                       data={"reason": "那天有大型活动，请改约下周"}).status_code == 302
    db.session.expire_all()
    declined = db.session.get(Booking, booking.id)
    assert declined.status == BookingStatus.DECLINED and declined.decline_reason == "那天有大型活动，请改约下周"
    assert _taken(slot.id) == 0


def test_an_unverified_teacher_cannot_book(client, auth):
    slot = factories.slot(audience="school", days_ahead=10, capacity=100)
    auth.login(factories.user("teacher", verified=False).email)
    response = _book_class(client, slot.id)
    assert response.status_code == 403
    assert _taken(slot.id) == 0


def test_too_few_adults_says_how_many_more_are_needed(client, auth):
    slot = factories.slot(audience="school", days_ahead=10, capacity=100)
    auth.login(factories.user("teacher").email)
    response = _book_class(client, slot.id, students=45, adults=2)
    body = response.get_data(as_text=True)
    assert response.status_code == 400 and 'id="adults-error"' in body
    assert "3" in re.search(r'id="adults-error">([^<]*)<', body).group(1)
    kindergarten = _book_class(client, slot.id, students=15, adults=1, grade=0)
    assert kindergarten.status_code == 400  # 1 adult per 10 children in kindergarten
    assert _taken(slot.id) == 0


def test_no_grade_is_chosen_for_the_teacher_and_one_left_unchosen_is_asked_for(client, auth):
    slot = factories.slot(audience="school", days_ahead=10, capacity=100)
    auth.login(factories.user("teacher").email)
    page = client.get(f"/slots/{slot.id}/book?lang=en").get_data(as_text=True)
    assert re.search(r'<option selected value="">Choose the class', page)
    client.get("/?lang=zh")
    response = _book_class(client, slot.id, grade="", class_name="三年级1班", students=30, adults=3)
    body = response.get_data(as_text=True)
    assert response.status_code == 400 and 'id="grade-error"' in body and "请选择班级所在年级" in body
    assert 'value="三年级1班"' in body and 'value="30"' in body  # what was typed is kept
    assert _taken(slot.id) == 0


def test_an_api_class_with_adults_out_of_range_is_refused_on_that_field(client, app):
    slot = factories.slot(audience="school", days_ahead=10, capacity=100)
    teacher = factories.user("teacher")
    token = client.post("/api/v1/auth/token", json={"email": teacher.email, "password": "password123"}).get_json()
    for adults in (-2, 201):
        answer = client.post("/api/v1/bookings?lang=en", headers={"Authorization": f"Bearer {token['token']}"},
                             json={"slot_id": slot.id, "students": 30, "adults": adults, "grade": 4,
                                   "class_name": "A"})
        body = answer.get_json()
        assert (answer.status_code, body["error"], body["field"]) == (400, "invalid_parameter", "adults"), body
        assert "from 0 to 200 accompanying adults" in body["message"]
    assert _taken(slot.id) == 0


def test_group_size_limits_are_enforced(client, auth):
    slot = factories.slot(audience="school", days_ahead=10, capacity=100)
    auth.login(factories.user("teacher").email)
    assert _book_class(client, slot.id, students=5, adults=1).status_code == 400
    assert _book_class(client, slot.id, students=61, adults=4).status_code == 400


def test_a_partner_school_books_before_the_window_opens_for_others(client, auth):
    slot = factories.slot(audience="school", days_ahead=33, capacity=100)  # school window: 30 days; partners 7 earlier
    partner_teacher = factories.user("teacher")
    other_teacher = factories.user("teacher")
    db.session.add(Partnership(venue_id=slot.venue_id, school_id=partner_teacher.school_id,
                               valid_from=local_today() - timedelta(days=30),
                               valid_to=local_today() + timedelta(days=300)))
    db.session.commit()

    auth.login(other_teacher.email)
    assert "Booking is not open" in client.get(f"/slots/{slot.id}/book?lang=en").get_data(as_text=True)
    assert _book_class(client, slot.id).status_code == 400
    auth.logout()
    auth.login(partner_teacher.email)
    assert _book_class(client, slot.id).status_code == 302
    assert db.session.scalar(select(Booking)).is_partner


def test_the_reserved_share_is_held_for_partner_schools(client, auth):
    slot = factories.slot(audience="school", days_ahead=20, capacity=100, reserved_seats=30,
                          reserve_until=utcnow() + timedelta(days=10))
    partner_teacher = factories.user("teacher")
    db.session.add(Partnership(venue_id=slot.venue_id, school_id=partner_teacher.school_id,
                               valid_from=local_today(), valid_to=local_today() + timedelta(days=60)))
    db.session.commit()

    auth.login(factories.user("teacher").email)
    assert _book_class(client, slot.id, students=60, adults=3).status_code == 302  # 63 of the 70 open seats
    auth.logout()
    auth.login(factories.user("teacher").email)
    refused = _book_class(client, slot.id, students=10, adults=1)
    assert refused.status_code == 409  # 7 open seats left; the other 30 are reserved
    auth.logout()
    auth.login(partner_teacher.email)
    assert _book_class(client, slot.id, students=30, adults=2).status_code == 302
    assert _taken(slot.id) == 95


def test_a_teacher_lowers_the_headcount_and_the_places_return(client, auth):
    slot = factories.slot(audience="school", days_ahead=10, capacity=100)
    teacher = factories.user("teacher")
    auth.login(teacher.email)
    _book_class(client, slot.id, students=40, adults=2)
    booking = db.session.scalar(select(Booking))
    assert client.post(f"/bookings/{booking.id}/headcount", data={"students": 30, "adults": 2}).status_code == 302
    assert _taken(slot.id) == 32
    # Raising it again takes the places back (tests/test_bookings_class_headcount.py has the rules of more).
    assert client.post(f"/bookings/{booking.id}/headcount", data={"students": 35, "adults": 2}).status_code == 302
    assert _taken(slot.id) == 37


def test_the_confirmation_slip_shows_the_class_without_student_names(client, auth):
    slot = factories.slot(audience="school", days_ahead=10, capacity=100)
    db.session.add(BookingRules(venue_id=slot.venue_id, auto_confirm_groups=True))
    db.session.commit()
    auth.login(factories.user("teacher").email)
    _book_class(client, slot.id, class_name="三年级1班", grade=3, students=38, adults=2)
    booking = db.session.scalar(select(Booking))
    assert booking.status == BookingStatus.CONFIRMED
    slip = client.get(f"/bookings/{booking.id}/slip")
    assert slip.status_code == 200
    text = slip.get_data(as_text=True)
    assert "三年级1班" in text and booking.reference in text and ">38<" in text


def test_managers_decide_only_their_own_venues_requests(client, auth):
    slot = factories.slot(audience="school", days_ahead=10, capacity=100)
    teacher = factories.user("teacher")
    auth.login(teacher.email)
    _book_class(client, slot.id)
    booking = db.session.scalar(select(Booking))
    auth.logout()
    auth.login(factories.user("venue_manager").email)  # manager of another venue
    assert client.post(f"/manage/bookings/{booking.id}/approve").status_code == 404
    auth.logout()
    auth.login(factories.user("citizen").email)
    assert client.get("/manage/bookings").status_code == 403
    assert client.post(f"/manage/bookings/{booking.id}/approve").status_code == 403


def test_manager_records_a_partner_school(client, auth):
    venue = factories.venue()
    manager = factories.user("venue_manager", venue=venue)
    school = factories.school()
    auth.login(manager.email)
    today = local_today()
    response = client.post("/manage/partners", data={"school_id": school.id, "valid_from": today.isoformat(),
                                                      "valid_to": (today + timedelta(days=365)).isoformat()})
    assert response.status_code == 302
    reversed_range = client.post("/manage/partners", data={
        "school_id": school.id, "valid_from": today.isoformat(), "valid_to": (today - timedelta(days=1)).isoformat()})
    assert reversed_range.status_code == 400
    assert db.session.scalar(select(db.func.count(Partnership.id))) == 1


def test_a_time_for_the_other_audience_says_so_at_once_instead_of_offering_a_form(client, auth):
    """A shared link or a venue's calendar feed leads a teacher to a time for individual visitors (and
    a citizen to one for school groups): its page says so, with no form, window or places to book."""
    public = factories.slot(audience="public", days_ahead=10, capacity=100)
    school = factories.slot(public.venue, audience="school", days_ahead=11, capacity=100)
    for person, slot, said in ((factories.user("teacher"), public, "This time is for individual visitors only."),
                               (factories.user("citizen"), school, "This time is for school groups only.")):
        auth.login(person.email)
        page = client.get(f"/slots/{slot.id}/book?lang=en").get_data(as_text=True)
        assert said in page and 'id="for-other-visitors"' in page
        assert 'method="post" class="stack"' not in page and "Booking is open from" not in page
        auth.logout()
