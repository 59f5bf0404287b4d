"""The public month calendar of places left, and the manager's programs and booking rules."""
from __future__ import annotations

import re
from datetime import time, timedelta

import pytest
from sqlalchemy import select

from app.bookings.models import BookingRules
from app.bookings.services import book_individual_visit
from app.core.time import local_today
from app.extensions import db
from app.scheduling.availability import month_availability
from app.scheduling.models import Program, SlotStatus
from app.venues.models import VenueStatus
from tests import factories

SITE_SCRIPT = '<script src="/static/js/site.js" defer>'  # every page's: focus on errors, nothing else


def month_of(day) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def availability(client, venue, day, **args):
    query = "&".join(f"{k}={v}" for k, v in {"lang": "en", "month": month_of(day), **args}.items())
    return client.get(f"/venues/{venue.id}/availability?{query}")


def test_the_calendar_shows_live_places_left_after_a_booking(client, app):
    slot = factories.slot(capacity=40, days_ahead=2)
    book_individual_visit(factories.user("citizen"), slot, party_size=3)
    db.session.commit()
    page = availability(client, slot.venue, slot.local_date).get_data(as_text=True)
    assert "37 places left" in page
    assert "09:00–12:00" in page


def test_a_full_slot_says_so_in_words(client, app):
    slot = factories.slot(capacity=2, days_ahead=2)
    book_individual_visit(factories.user("citizen"), slot, party_size=2)
    db.session.commit()
    assert "Fully booked" in availability(client, slot.venue, slot.local_date).get_data(as_text=True)


def test_cancelled_slots_are_not_offered(client, app):
    slot = factories.slot(capacity=40, days_ahead=2, status=SlotStatus.CANCELLED)
    page = availability(client, slot.venue, slot.local_date).get_data(as_text=True)
    assert "places left" not in page


def test_the_calendar_is_an_accessible_list_of_days_with_headings_and_month_links(client, app):
    slot = factories.slot(capacity=40, days_ahead=2)
    page = availability(client, slot.venue, slot.local_date).get_data(as_text=True)
    assert page.count("<h1") == 1
    assert '<ol class="month-days">' in page
    assert len(re.findall(r'<h3 class="day-title">', page)) >= 28
    assert 'rel="prev"' in page and 'rel="next"' in page
    assert re.findall(r"<script[^>]*>", page) == [SITE_SCRIPT] and 'style="' not in page  # no widget


def test_the_audience_filter_keeps_the_times_a_visitor_can_book(client, app):
    venue = factories.venue()
    day = local_today() + timedelta(days=3)
    factories.slot(venue, day=day, audience="school", capacity=60)
    factories.slot(venue, day=day, start=time(14), end=time(16), audience="public", capacity=25)
    page = availability(client, venue, day, audience="public").get_data(as_text=True)
    assert "25 places left" in page and "60 places left" not in page


def test_a_signed_in_visitor_sees_the_times_they_can_book_until_they_choose_everyone(client, auth):
    """A citizen's day total counts no place only classes can take; a teacher's none only citizens can."""
    venue = factories.venue()
    day = local_today() + timedelta(days=3)
    factories.slot(venue, day=day, audience="school", capacity=60)
    factories.slot(venue, day=day, start=time(14), end=time(16), audience="public", capacity=25)
    assert "85 places left" in availability(client, venue, day).get_data(as_text=True)  # signed out: all
    auth.login(factories.user("citizen").email)
    for page in (availability(client, venue, day), client.get(f"/venues/{venue.id}?lang=en&month={month_of(day)}")):
        html = page.get_data(as_text=True)
        assert "25 places left" in html and "60 places left" not in html and "85 places left" not in html
    everyone = availability(client, venue, day, audience="").get_data(as_text=True)
    # Every time listed, but the day total is still the places a citizen could book.
    assert "60 places left" in everyone and '<p class="day-summary">25 places left</p>' in everyone
    assert "85 places left" not in everyone
    auth.logout()
    auth.login(factories.user("teacher").email)
    html = availability(client, venue, day).get_data(as_text=True)
    assert "60 places left" in html and "25 places left" not in html


@pytest.mark.parametrize("status", [VenueStatus.DRAFT, VenueStatus.SUBMITTED, VenueStatus.SUSPENDED])
def test_unapproved_venues_have_no_public_calendar(client, app, status):
    venue = factories.venue(status=status)
    assert client.get(f"/venues/{venue.id}/availability").status_code == 404


def test_an_unknown_venue_has_no_calendar(client, app):
    assert client.get("/venues/999999/availability").status_code == 404


@pytest.mark.parametrize("month", ["2026-13", "abc", "99999-01", ""])
def test_a_nonsense_month_shows_this_month(client, app, month):
    venue = factories.venue()
    response = client.get(f"/venues/{venue.id}/availability?month={month}")
    assert response.status_code == 200


def test_the_month_service_gives_weeks_of_days_from_monday(app):
    slot = factories.slot(capacity=40, days_ahead=2)
    view = month_availability(slot.venue, slot.local_date.year, slot.local_date.month)
    assert all(len(week) == 7 for week in view.weeks)
    day = next(d for d in view.days if d.date == slot.local_date)
    assert (day.places_left, day.capacity) == (40, 40)
    assert day.slots[0].time_range == "09:00–12:00"


# --- programs ----------------------------------------------------------------------------------

@pytest.fixture
def manager(auth):
    person = factories.user("venue_manager")
    auth.login(person.email)
    return person


def program_form(**overrides) -> dict:
    data = {"kind": "lab_session", "title_zh": "机器人实验课", "title_en": "Robot lab", "description_zh": "动手搭建",
            "description_en": "", "grade_min": "3", "grade_max": "6", "curriculum_link": "https://example.org/k",
            "language": "both", "is_active": "y"}
    data.update(overrides)
    return data


def test_a_manager_adds_a_program_and_sees_it_listed(client, manager):
    assert client.post("/manage/programs/new", data=program_form()).status_code == 302
    program = db.session.scalar(select(Program))
    assert (program.venue_id, program.grade_min, program.grade_max) == (manager.venue_id, 3, 6)
    assert program.language == "both"
    assert "机器人实验课" in client.get("/manage/programs").get_data(as_text=True)


def test_a_manager_edits_a_program(client, manager):
    program = factories.program(manager.venue)
    response = client.post(f"/manage/programs/{program.id}/edit", data=program_form(title_zh="天文讲座", is_active=""))
    assert response.status_code == 302
    db.session.expire_all()
    program = db.session.get(Program, program.id)
    assert program.title_zh == "天文讲座" and program.is_active is False


@pytest.mark.parametrize("overrides, field", [
    ({"grade_min": "6", "grade_max": "3"}, "grade_max"),
    ({"title_zh": ""}, "title_zh"),
    ({"curriculum_link": "javascript:alert(1)"}, "curriculum_link"),
    ({"language": "fr"}, "language"),
    ({"grade_min": "13"}, "grade_min"),
])
def test_bad_program_input_is_refused_next_to_its_field(client, manager, overrides, field):
    response = client.post("/manage/programs/new", data=program_form(**overrides))
    assert response.status_code == 400
    assert f'id="{field}-error"' in response.get_data(as_text=True)
    assert db.session.scalar(select(Program)) is None


# --- booking rules -----------------------------------------------------------------------------

def rules_form(**overrides) -> dict:
    data = {"public_window_days": "10", "public_cutoff_hours": "2", "party_limit": "4", "school_window_days": "30",
            "school_cutoff_hours": "72", "group_min": "20", "group_max": "45", "students_per_adult": "15",
            "kindergarten_students_per_adult": "8", "partner_early_days": "7", "partner_reserved_pct": "20",
            "cancel_cutoff_hours": "24", "noshow_limit": "3", "noshow_window_days": "90", "noshow_block_days": "30"}
    data.update(overrides)
    return data


def test_the_rules_page_shows_the_defaults_before_anything_is_saved(client, manager):
    page = client.get("/manage/rules").get_data(as_text=True)
    assert re.search(r'name="party_limit"[^>]*value="5"', page)
    assert re.search(r'name="school_window_days"[^>]*value="30"', page)
    assert db.session.get(BookingRules, manager.venue_id) is None


def test_saving_the_rules_creates_the_venues_row(client, manager):
    assert client.post("/manage/rules", data=rules_form(auto_confirm_groups="y")).status_code == 302
    rules = db.session.get(BookingRules, manager.venue_id)
    assert (rules.public_window_days, rules.party_limit, rules.group_min) == (10, 4, 20)
    assert rules.auto_confirm_groups is True


def test_saving_the_rules_again_updates_them(client, manager):
    client.post("/manage/rules", data=rules_form())
    client.post("/manage/rules", data=rules_form(party_limit="2"))
    db.session.expire_all()
    assert db.session.get(BookingRules, manager.venue_id).party_limit == 2


@pytest.mark.parametrize("overrides, field", [
    ({"group_min": "50", "group_max": "40"}, "group_max"),
    ({"partner_reserved_pct": "101"}, "partner_reserved_pct"),
    ({"partner_reserved_pct": "-1"}, "partner_reserved_pct"),
    ({"public_window_days": "1", "public_cutoff_hours": "24"}, "public_cutoff_hours"),
    ({"party_limit": "many"}, "party_limit"),
    ({"students_per_adult": "0"}, "students_per_adult"),
])
def test_rules_that_cannot_work_are_refused_next_to_the_field(client, manager, overrides, field):
    response = client.post("/manage/rules", data=rules_form(**overrides))
    assert response.status_code == 400
    assert f'id="{field}-error"' in response.get_data(as_text=True)
    assert db.session.get(BookingRules, manager.venue_id) is None
