"""How far ahead slots, schedules and closures reach (two years), and the ends of the calendar
(0001-01-01, 9999-12-31) answered with a field message, never a server error."""
from __future__ import annotations

from datetime import date, timedelta

import icalendar
import pytest

from app.core.time import local_today
from tests.test_api_slots import Caller, payload
from tests.test_scheduling_closure_rules import close, closure_count, closure_of
from tests.test_scheduling_closures import manager  # noqa: F401 (fixture)
from tests.test_scheduling_publish import schedule_form, slot_count, slot_form
from tests import factories

LAST_DAY = date.max  # 9999-12-31


def field_error(page: str, field: str) -> str:
    """The text of the message shown next to a form field."""
    return page.split(f'id="{field}-error"', 1)[1].split(">", 1)[1].split("</", 1)[0].strip()


# --- closures ------------------------------------------------------------------------------------

@pytest.mark.parametrize("first, last, field", [(732, None, "starts_on"), (700, 740, "ends_on")])
def test_a_closure_beyond_two_years_is_refused_next_to_the_day_too_far(client, manager, first, last, field):
    today = local_today()
    client.get("/?lang=en")
    response = close(client, today + timedelta(days=first), last and today + timedelta(days=last))
    assert response.status_code == 400
    assert "Choose a date within the next two years." in field_error(response.get_data(as_text=True), field)
    assert closure_count() == 0


def test_a_closure_on_9999_12_31_is_refused_saying_within_two_years(client, manager):
    client.get("/?lang=en")
    response = close(client, LAST_DAY)
    assert response.status_code == 400
    assert "Choose a date within the next two years." in field_error(response.get_data(as_text=True), "starts_on")
    assert closure_count() == 0


def test_a_closure_two_years_ahead_is_still_accepted(client, manager):
    assert close(client, local_today() + timedelta(days=731)).status_code == 302
    assert closure_count() == 1


def test_the_venue_feed_survives_a_closure_stored_up_to_9999_12_31(client, manager):
    closure_of(manager, LAST_DAY - timedelta(days=2), LAST_DAY)
    closure_of(manager, LAST_DAY - timedelta(days=30))  # its day after is fine
    response = client.get(f"/venues/{manager.venue.id}/calendar.ics")
    assert response.status_code == 200
    events = icalendar.Calendar.from_ical(response.data).walk("VEVENT")
    assert sorted(e.decoded("dtstart") for e in events) == [LAST_DAY - timedelta(days=30),
                                                           LAST_DAY - timedelta(days=2)]


# --- slots and schedules -------------------------------------------------------------------------

@pytest.mark.parametrize("ends_next_day", [{}, {"ends_next_day": "y"}])
def test_a_slot_on_9999_12_31_is_refused_with_or_without_the_next_day(client, manager, ends_next_day):
    response = client.post("/manage/slots/new?lang=en",
                           data=slot_form(LAST_DAY, start="23:00", end="00:30" if ends_next_day else "23:30",
                                          **ends_next_day))
    assert response.status_code == 400
    # On the date typed, not on the time.
    assert field_error(response.get_data(as_text=True), "day") == "Choose a date within the next two years."
    assert slot_count() == 0


def test_an_overnight_slot_on_0001_01_01_is_refused_as_past(client, manager):
    response = client.post("/manage/slots/new?lang=en",
                           data=slot_form(date.min, start="23:00", end="00:30", ends_next_day="y"))
    assert response.status_code == 400
    assert "This time has already passed." in field_error(response.get_data(as_text=True), "start")
    assert slot_count() == 0


@pytest.fixture
def api_manager(client, app):
    return Caller(client, factories.user("venue_manager"))


@pytest.mark.parametrize("start, end, field", [
    ("9999-12-31T23:00", "9999-12-31T23:59", "start"),
    ("9999-12-31T20:00+00:00", "9999-12-31T22:00+00:00", "start"),  # its local day would be year 10000
    ("9999-12-31T23:00-10:00", "9999-12-31T23:30-10:00", "start"),  # UTC in year 10000
    ("9999-12-31T12:00", "9999-12-31T23:30-10:00", "end"),
    ("0001-01-01T00:00", "0001-01-01T01:00", "start"),  # UTC in year 0
    ("0001-01-01T08:30", "0001-01-01T09:30", "start"),
    ("0001-01-01T23:00+14:00", "0001-01-02T00:30+14:00", "start"),
])
def test_api_slots_at_the_ends_of_the_calendar_are_refused_with_the_field_named(client, api_manager, start, end,
                                                                                 field):
    response = api_manager.post(f"/api/v1/venues/{api_manager.venue_id}/slots", json=payload(start=start, end=end))
    assert response.status_code == 400
    body = response.get_json()
    assert (body["error"], body["field"]) == ("invalid_slot", field) and body["message"]
    assert slot_count() == 0


@pytest.mark.parametrize("first, last, field", [
    (LAST_DAY, LAST_DAY, "starts_on"),
    (LAST_DAY - timedelta(days=6), LAST_DAY, "starts_on"),
    (date.min, date.min + timedelta(days=6), "starts_on"),
])
def test_schedules_at_the_ends_of_the_calendar_are_refused_next_to_the_field(client, manager, first, last, field):
    response = client.post("/manage/schedules/new?lang=en", data=schedule_form(first, last))
    assert response.status_code == 400
    assert field_error(response.get_data(as_text=True), field)
    assert slot_count() == 0


def test_a_schedule_ending_beyond_two_years_says_so_at_the_last_day(client, manager):
    first = local_today() + timedelta(days=700)
    response = client.post("/manage/schedules/new?lang=en", data=schedule_form(first, first + timedelta(days=60)))
    assert response.status_code == 400
    assert "Choose a date within the next two years." in field_error(response.get_data(as_text=True), "ends_on")
