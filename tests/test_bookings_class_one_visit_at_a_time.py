"""A class goes on one visit at a time: the same class of a school cannot hold places at two visits
whose times overlap, at one venue or two, whoever of its teachers books (``services.class_elsewhere``)."""
from __future__ import annotations

import re
from datetime import time, timedelta

from sqlalchemy import select

from app.bookings.models import Booking
from app.core.time import local_today
from app.extensions import db
from app.scheduling.models import Slot
from tests import factories


def _book_class(client, slot_id, **data):
    page = client.get(f"/slots/{slot_id}/book?lang=en").get_data(as_text=True)
    key = re.search(r'name="request_key" type="hidden" value="([0-9a-f]+)"', page)
    form = {"request_key": key.group(1), "class_name": "四年级2班", "grade": 4, "students": 40, "adults": 2,
            "program_id": 0}
    form.update(data)
    return client.post(f"/slots/{slot_id}/book?lang=en", data=form)


def _taken(slot_id) -> int:
    db.session.expire_all()
    return db.session.get(Slot, slot_id).taken


def _school_slot(venue, start, end, day=None):
    return factories.slot(venue, day=day or local_today() + timedelta(days=10), start=start, end=end,
                          audience="school", capacity=100, window_closes_hours=72)


def _token(client, person) -> dict:
    response = client.post("/api/v1/auth/token", json={"email": person.email, "password": "password123"})
    return {"Authorization": f"Bearer {response.get_json()['token']}"}


def test_a_class_booked_at_one_venue_cannot_be_booked_at_another_at_the_same_time(client, auth):
    museum = factories.venue(name_zh="测试自然馆", name_en="Test Nature Hall")
    morning = _school_slot(museum, time(9), time(12))
    other = _school_slot(factories.venue(), time(10), time(11, 30))
    teacher = factories.user("teacher")
    auth.login(teacher.email)

    assert _book_class(client, morning.id).status_code == 302
    response = _book_class(client, other.id)

    assert response.status_code == 409
    page = re.sub(r"\s+", " ", response.get_data(as_text=True))
    assert "四年级2班 of your school is already booked for a visit to Test Nature Hall" in page
    assert "09:00–12:00, which overlaps this time" in page
    assert _taken(other.id) == 0
    assert db.session.scalar(select(Booking).where(Booking.slot_id == other.id)) is None


def test_a_colleague_cannot_book_the_same_class_for_an_overlapping_visit_through_the_api(client):
    first = factories.user("teacher")
    colleague = factories.user("teacher", school=first.school)
    morning = _school_slot(factories.venue(), time(9), time(12))
    factories.booked_visit(morning, first, class_name="四年级2班")
    overlapping = _school_slot(factories.venue(), time(11), time(13))

    response = client.post("/api/v1/bookings?lang=zh", headers=_token(client, colleague), json={
        "slot_id": overlapping.id, "students": 40, "adults": 2, "grade": 4, "class_name": "四年级２班"})

    assert response.status_code == 409
    body = response.get_json()
    assert body["error"] == "class_time_clash" and body["field"] == "class_name"
    assert "四年级2班" in body["message"] and "09:00–12:00" in body["message"]
    assert _taken(overlapping.id) == 0


def test_the_class_in_another_case_is_the_same_class_and_is_named_as_booked(client, auth):
    first = factories.user("teacher")
    morning = _school_slot(factories.venue(name_en="Test Nature Hall"), time(9), time(12))
    factories.booked_visit(morning, first, class_name="Grade 4 Class 2A")
    overlapping = _school_slot(factories.venue(), time(11), time(13))
    auth.login(factories.user("teacher", school=first.school).email)

    response = _book_class(client, overlapping.id, class_name="grade 4 class 2a")

    assert response.status_code == 409
    page = re.sub(r"\s+", " ", response.get_data(as_text=True))
    assert "Grade 4 Class 2A of your school is already booked for a visit to Test Nature Hall" in page
    assert _taken(overlapping.id) == 0


def test_other_classes_later_times_and_other_schools_book_freely(client, auth):
    venue = factories.venue()
    morning = _school_slot(venue, time(9), time(12))
    right_after = _school_slot(venue, time(12), time(14))  # back to back: the class can go on to it
    overlapping = _school_slot(factories.venue(), time(10), time(11))
    teacher = factories.user("teacher")
    auth.login(teacher.email)

    assert _book_class(client, morning.id).status_code == 302
    assert _book_class(client, right_after.id).status_code == 302
    assert _book_class(client, overlapping.id, class_name="四年级3班").status_code == 302
    auth.logout()
    auth.login(factories.user("teacher").email)  # another school's 四年级2班
    assert _book_class(client, overlapping.id).status_code == 302


def test_once_the_first_visit_is_cancelled_the_class_may_book_the_other(client, auth):
    morning = _school_slot(factories.venue(), time(9), time(12))
    other = _school_slot(factories.venue(), time(9), time(12))
    teacher = factories.user("teacher")
    auth.login(teacher.email)
    assert _book_class(client, morning.id).status_code == 302
    assert _book_class(client, other.id).status_code == 409

    first = db.session.scalar(select(Booking).where(Booking.slot_id == morning.id))
    assert client.post(f"/bookings/{first.id}/cancel", data={"reason": ""}).status_code == 302

    assert _book_class(client, other.id).status_code == 302
    assert _taken(other.id) == 42


def _book_in_a_race(teacher_id: int, slot_id: int, class_name: str = "四年级2班"):
    def job():
        from app.accounts.models import User
        from app.bookings import services

        booking = services.book_class_visit(db.session.get(User, teacher_id), db.session.get(Slot, slot_id),
                                            students=30, adults=2, grade=4, class_name=class_name)
        return booking.status.value
    return job


def test_two_colleagues_booking_one_class_at_overlapping_times_at_once_get_one_visit(app):
    """Each read no other booking of the class before the other was written: the second is refused."""
    from tests.races import race

    first = factories.user("teacher")
    colleague = factories.user("teacher", school=first.school)
    for round_ in range(8):
        day = local_today() + timedelta(days=10 + round_)
        slots = [_school_slot(factories.venue(), time(9), time(10), day=day),
                 _school_slot(factories.venue(), time(9, 30), time(10, 30), day=day)]
        outcomes = race(app, [_book_in_a_race(first.id, slots[0].id), _book_in_a_race(colleague.id, slots[1].id)])
        assert sorted(outcomes) == ["class_time_clash", "pending"], outcomes
        assert sorted(_taken(slot.id) for slot in slots) == [0, 32]


def test_two_colleagues_booking_one_class_in_two_cases_for_one_time_at_once_get_one_visit(app):
    """Each read no booking of the class before the other was written: the database's index, on the
    class in any case, refuses the second."""
    from tests.races import race

    first = factories.user("teacher")
    colleague = factories.user("teacher", school=first.school)
    for round_ in range(8):
        slot = _school_slot(factories.venue(), time(9), time(10), day=local_today() + timedelta(days=10 + round_))
        outcomes = race(app, [_book_in_a_race(first.id, slot.id, "Class 4A"),
                              _book_in_a_race(colleague.id, slot.id, "class 4a")])
        assert sorted(outcomes) == ["duplicate_booking", "pending"], outcomes
        assert _taken(slot.id) == 32
