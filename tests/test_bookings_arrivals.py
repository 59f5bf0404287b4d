"""Once a visit is checked in, its booking says how many came as the gate recorded it, beside how
many were booked: for the teacher (booking page, slip, their lists) and the venue (its list and the
booking's page), as the statistics count it."""
from __future__ import annotations

import re
from datetime import timedelta

from app.bookings.models import Booking
from app.checkin.services import Headcount
from app.extensions import db
from tests import factories
from tests.test_perf_hot_paths import statements

CAME_EN = "booked 30 students, 2 adults · came 28 students, 2 adults"
CAME_ZH = "预约 学生 30 人，随行成人 2 人 · 实到 学生 28 人，随行成人 2 人"


def _text(response) -> str:
    assert response.status_code == 200, response.status_code
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)))


def _class_came(teacher, venue=None, *, starts_in=None, students=28, adults=2) -> Booking:
    """A class of 30 students and 2 adults admitted at the gate with ``students`` and ``adults``."""
    slot = factories.slot_at(venue, starts_in=starts_in)
    row = factories.admitted_visit(slot, teacher, students=30, adults=2,
                                   headcount=Headcount(students=students, adults=adults))
    return db.session.get(Booking, row.booking_id)


def test_the_teacher_sees_how_many_of_the_class_came_on_the_booking_page_slip_and_list(client, auth):
    teacher = factories.user("teacher")
    booking = _class_came(teacher)
    auth.login(teacher.email)

    for path in (f"/bookings/{booking.id}", f"/bookings/{booking.id}/slip", "/me/bookings"):
        assert CAME_EN in _text(client.get(f"{path}?lang=en")), path
    assert CAME_ZH in _text(client.get("/me/bookings?lang=zh"))
    assert CAME_ZH in _text(client.get(f"/bookings/{booking.id}?lang=zh"))


def test_the_class_visit_history_says_how_many_came_to_a_past_visit(client, auth):
    teacher = factories.user("teacher")
    _class_came(teacher, starts_in=-timedelta(days=3), students=25, adults=1)
    auth.login(teacher.email)

    past = _text(client.get("/me/bookings?lang=en")).split("Past, cancelled and declined", 1)[1]
    assert "booked 30 students, 2 adults · came 25 students, 1 adult" in past


def test_the_venue_sees_how_many_of_a_class_came_in_its_list_and_on_the_booking(client, auth):
    teacher = factories.user("teacher")
    booking = _class_came(teacher)
    manager = factories.user("venue_manager", venue=booking.venue)
    auth.login(manager.email)

    assert CAME_EN in _text(client.get("/manage/bookings?lang=en"))
    assert CAME_EN in _text(client.get(f"/bookings/{booking.id}?lang=en"))


def test_a_party_that_came_smaller_says_so_and_one_that_came_whole_just_its_size(client, auth):
    citizen = factories.user("citizen")
    fewer = factories.admitted_visit(factories.slot_at(), citizen, party_size=4, headcount=Headcount(persons=3))
    whole = factories.admitted_visit(factories.slot_at(starts_in=-timedelta(days=2)), citizen, party_size=2)
    auth.login(citizen.email)

    assert "booked 4 people · came 3 people" in _text(client.get(f"/bookings/{fewer.booking_id}?lang=en"))
    assert "预约 4 人 · 实到 3 人" in _text(client.get(f"/bookings/{fewer.booking_id}?lang=zh"))
    page = _text(client.get(f"/bookings/{whole.booking_id}?lang=en"))
    assert "2 people" in page and "came" not in page
    mine = _text(client.get("/me/bookings?lang=en"))
    assert "booked 4 people · came 3 people" in mine and mine.count(" came ") == 1


def test_a_booking_not_yet_checked_in_shows_only_what_was_booked(client, auth):
    teacher = factories.user("teacher")
    booking = factories.confirmed_visit(factories.slot_at(), teacher, students=30, adults=2)
    auth.login(teacher.email)

    page = _text(client.get(f"/bookings/{booking.id}?lang=en"))
    assert "came" not in page and "booked 30" not in page


def _counted(client, url: str) -> list[str]:
    db.session.expire_all()  # nothing the test loaded spares the page a statement
    with statements() as seen:
        assert client.get(url).status_code == 200
    return seen


def test_the_lists_read_who_came_in_one_statement_however_many_visits_were_checked_in(client, auth):
    teacher = factories.user("teacher")
    venue = factories.venue()
    manager = factories.user("venue_manager", venue=venue)
    _class_came(teacher, venue)
    auth.login(teacher.email)
    client.get("/me/bookings")  # the first page after signing in also records the visit
    one_mine = _counted(client, "/me/bookings")
    auth.logout()
    auth.login(manager.email)
    client.get("/manage/bookings")
    one_managed = _counted(client, "/manage/bookings")

    for minutes in (11, 12, 13):
        _class_came(factories.user("teacher"), venue, starts_in=-timedelta(minutes=minutes))
        _class_came(teacher, starts_in=-timedelta(days=minutes))
    four_managed = _counted(client, "/manage/bookings")
    auth.logout()
    auth.login(teacher.email)
    client.get("/me/bookings")
    four_mine = _counted(client, "/me/bookings")

    assert len(four_mine) == len(one_mine), four_mine
    assert len(four_managed) == len(one_managed), four_managed
    assert sum(s.startswith("select checkins.booking_id") for s in four_mine) == 1, four_mine
