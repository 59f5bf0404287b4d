"""A class books a themed day's activity (a program tied to a themed day) on that day's dates only: on
a time that runs no program of its own, the booking page does not offer it on other days, and a class
sending it anyway is refused (``services.class_programs``). A time the venue published for the
activity itself offers it, whatever the day."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest

from app.core.time import local_today
from app.events.models import ThemedDay, ThemedDayDates, ThemedDayRule
from app.extensions import db
from app.scheduling.models import ProgramKind
from tests import factories


@pytest.fixture
def themed_week():
    """A themed week from 8 to 12 days from today, its dates announced for the year it starts in."""
    first = local_today() + timedelta(days=8)
    day = ThemedDay(key="test_week", name_zh="测试科普周", name_en="Test Science Week",
                    rule_kind=ThemedDayRule.YEARLY_TABLE, rule="set each year")
    day.dates = [ThemedDayDates(year=first.year, starts_on=first, ends_on=first + timedelta(days=4))]
    db.session.add(day)
    db.session.commit()
    return first


@pytest.fixture
def venue_programs(themed_week):
    venue = factories.venue()
    tour = factories.program(venue, title_zh="常设展导览", title_en="Gallery tour")
    workshop = factories.program(venue, kind=ProgramKind.THEMED_ACTIVITY, title_zh="科普周实验工作坊",
                                 title_en="Science Week workshop", themed_day_key="test_week")
    return venue, tour, workshop


def _form(client, slot_id) -> tuple[str, str]:
    page = client.get(f"/slots/{slot_id}/book?lang=en").get_data(as_text=True)
    key = re.search(r'name="request_key" type="hidden" value="([0-9a-f]+)"', page).group(1)
    return page, key


def _book(client, slot_id, key, program_id):
    return client.post(f"/slots/{slot_id}/book?lang=en", data={
        "request_key": key, "class_name": "四年级2班", "grade": 4, "students": 40, "adults": 2,
        "program_id": program_id})


def test_a_themed_activity_is_not_offered_nor_booked_away_from_its_dates(client, auth, venue_programs, themed_week):
    venue, tour, workshop = venue_programs
    slot = factories.slot(venue, day=themed_week + timedelta(days=10), audience="school", capacity=100)
    auth.login(factories.user("teacher").email)

    page, key = _form(client, slot.id)
    assert "Gallery tour" in page and "General visit" in page
    assert "Science Week workshop" not in page

    assert _book(client, slot.id, key, workshop.id).status_code == 400  # not a choice the page offers
    db.session.expire_all()
    assert db.session.get(type(slot), slot.id).taken == 0


def test_the_api_refuses_a_themed_activity_away_from_its_dates(client, venue_programs, themed_week):
    venue, _tour, workshop = venue_programs
    slot = factories.slot(venue, day=themed_week - timedelta(days=3), audience="school", capacity=100)
    teacher = factories.user("teacher")
    token = client.post("/api/v1/auth/token", json={"email": teacher.email, "password": "password123"}).get_json()
    response = client.post("/api/v1/bookings?lang=en", headers={"Authorization": f"Bearer {token['token']}"}, json={
        "slot_id": slot.id, "students": 40, "adults": 2, "grade": 4, "class_name": "四年级2班",
        "program_id": workshop.id})

    assert response.status_code == 400
    body = response.get_json()
    assert body["error"] == "invalid_program" and body["field"] == "program_id"
    assert body["message"].startswith("Science Week workshop is held for Test Science Week, on its dates only.")
    db.session.expire_all()
    assert db.session.get(type(slot), slot.id).taken == 0


def test_on_its_dates_a_class_books_the_themed_activity(client, auth, venue_programs, themed_week):
    venue, _tour, workshop = venue_programs
    slot = factories.slot(venue, day=themed_week + timedelta(days=2), audience="school", capacity=100)
    auth.login(factories.user("teacher").email)

    page, key = _form(client, slot.id)
    assert "Science Week workshop" in page
    response = _book(client, slot.id, key, workshop.id)
    assert response.status_code == 302
    assert "Science Week workshop" in client.get(response.headers["Location"] + "?lang=en").get_data(as_text=True)


def test_a_time_published_for_the_activity_offers_it_on_any_day(client, auth, venue_programs, themed_week):
    venue, _tour, workshop = venue_programs
    slot = factories.slot(venue, day=themed_week - timedelta(days=3), audience="school", capacity=100,
                          program_id=workshop.id)  # the venue ran it a few days early, on purpose
    auth.login(factories.user("teacher").email)

    page, key = _form(client, slot.id)
    assert "Science Week workshop" in page
    assert _book(client, slot.id, key, workshop.id).status_code == 302
