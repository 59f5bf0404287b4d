"""A teacher booking a class visit is told when their school's cooperation agreement (馆校合作) with the
venue does not cover the visit's date, so that its priority does not apply; and sees which grades each
program on offer is for."""
from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest
from babel.dates import format_date

from app.bookings.models import Partnership
from app.core.time import local_today
from app.extensions import db
from tests import factories

PARTNER_NOTE = "Your school is a partner school of this venue"


@pytest.fixture
def teacher(auth):
    person = factories.user("teacher")
    auth.login(person.email)
    return person


def _agree(venue, school, starts, ends):
    db.session.add(Partnership(venue_id=venue.id, school_id=school.id, valid_from=starts, valid_to=ends))
    db.session.commit()


def _school_slot(venue, days_ahead):
    return factories.slot(venue, audience="school", days_ahead=days_ahead)


def _page(client, slot, lang="en") -> str:
    response = client.get(f"/slots/{slot.id}/book?lang={lang}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _gap_notice(page: str) -> str:
    """The notice that the agreement does not cover this visit, as a reader sees its text ("" if absent)."""
    found = re.search(r'<p[^>]*id="agreement-not-covering"[^>]*>(.*?)</p>', page, re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", "", found.group(1))).split()) if found else ""


def _en(day) -> str:
    return format_date(day, "medium", locale="en")


def test_a_visit_after_the_agreement_ends_is_said_to_have_no_partner_priority(client, teacher):
    today, venue = local_today(), factories.venue()
    ends = today + timedelta(days=10)
    _agree(venue, teacher.school, today - timedelta(days=100), ends)

    page = _page(client, _school_slot(venue, 20))

    notice = _gap_notice(page)
    assert f"ends on {_en(ends)}" in notice
    assert "does not apply" in notice
    assert PARTNER_NOTE not in page


def test_a_visit_the_agreement_covers_keeps_the_partner_note_and_no_warning(client, teacher):
    today, venue = local_today(), factories.venue()
    _agree(venue, teacher.school, today - timedelta(days=100), today + timedelta(days=10))

    page = _page(client, _school_slot(venue, 5))

    assert PARTNER_NOTE in page
    assert _gap_notice(page) == ""


def test_the_agreements_end_date_is_written_as_the_readers_language_writes_it(client, teacher):
    today, venue = local_today(), factories.venue()
    ends = today + timedelta(days=10)
    _agree(venue, teacher.school, today - timedelta(days=100), ends)

    notice = _gap_notice(_page(client, _school_slot(venue, 20), lang="zh"))

    assert f"{ends.year}年{ends.month}月{ends.day}日" in notice
    assert ends.isoformat() not in notice


def test_a_visit_before_an_agreement_starts_is_said_to_have_no_partner_priority(client, teacher):
    today, venue = local_today(), factories.venue()
    starts = today + timedelta(days=20)
    _agree(venue, teacher.school, starts, today + timedelta(days=300))

    notice = _gap_notice(_page(client, _school_slot(venue, 10)))

    assert f"starts on {_en(starts)}" in notice
    assert "does not apply" in notice


def test_a_visit_between_an_agreement_and_the_next_names_both_dates(client, teacher):
    today, venue = local_today(), factories.venue()
    ends, next_starts = today + timedelta(days=5), today + timedelta(days=15)
    _agree(venue, teacher.school, today - timedelta(days=100), ends)
    _agree(venue, teacher.school, next_starts, today + timedelta(days=300))

    notice = _gap_notice(_page(client, _school_slot(venue, 10)))

    assert f"ends on {_en(ends)}" in notice and f"starts on {_en(next_starts)}" in notice


def test_a_renewal_that_covers_the_visit_leaves_the_partner_priority_unquestioned(client, teacher):
    today, venue = local_today(), factories.venue()
    _agree(venue, teacher.school, today - timedelta(days=100), today + timedelta(days=5))
    _agree(venue, teacher.school, today + timedelta(days=6), today + timedelta(days=300))

    page = _page(client, _school_slot(venue, 20))

    assert PARTNER_NOTE in page
    assert _gap_notice(page) == ""


def test_the_warning_is_given_before_booking_opens_for_a_school_no_longer_a_partner(client, teacher):
    """Booking opens 30 days ahead, not 37, for a visit after the agreement: the teacher learns why."""
    today, venue = local_today(), factories.venue()
    ends = today + timedelta(days=20)
    _agree(venue, teacher.school, today - timedelta(days=100), ends)

    page = _page(client, _school_slot(venue, 33))

    assert "Booking for this time opens at" in page
    assert f"ends on {_en(ends)}" in _gap_notice(page)


def test_no_warning_without_an_agreement_with_this_venue(client, teacher):
    today = local_today()
    _agree(factories.venue(), teacher.school, today - timedelta(days=100), today + timedelta(days=10))
    _agree(factories.venue(), factories.school(), today - timedelta(days=100), today + timedelta(days=10))
    venue = factories.venue()

    assert _gap_notice(_page(client, _school_slot(venue, 20))) == ""


def test_an_agreement_over_before_today_is_not_brought_up(client, teacher):
    today, venue = local_today(), factories.venue()
    _agree(venue, teacher.school, today - timedelta(days=400), today - timedelta(days=1))

    assert _gap_notice(_page(client, _school_slot(venue, 20))) == ""


def test_a_citizen_is_told_nothing_of_school_agreements(client, auth):
    today, venue = local_today(), factories.venue()
    _agree(venue, factories.school(), today - timedelta(days=100), today + timedelta(days=1))
    auth.login(factories.user("citizen").email)

    page = _page(client, factories.slot(venue, audience="mixed", days_ahead=5))

    assert _gap_notice(page) == ""


# --- the grades each program is for ---------------------------------------------------------------

def _option(page: str, value: int) -> str:
    """The text of the program choice ``value`` on the class booking form ("" if not offered)."""
    choices = re.search(r'<select[^>]*name="program_id"[^>]*>(.*?)</select>', page, re.S)
    found = choices and re.search(rf'<option[^>]*value="{value}"[^>]*>(.*?)</option>', choices.group(1), re.S)
    return html.unescape(found.group(1)).strip() if found else ""


def test_each_program_a_class_may_choose_shows_the_grades_it_is_for(client, teacher):
    venue = factories.venue()
    tour = factories.program(venue, title_en="Star tour", grade_min=3, grade_max=6)
    lab = factories.program(venue, title_en="Kids lab", grade_min=0, grade_max=2)
    page = _page(client, _school_slot(venue, 5))

    assert _option(page, tour.id) == "Star tour (Grade 3 to Grade 6)"
    assert _option(page, lab.id) == "Kids lab (Kindergarten to Grade 2)"
    assert _option(page, 0) == "General visit"


def test_a_program_for_one_grade_names_that_grade_once(client, teacher):
    venue = factories.venue()
    tour = factories.program(venue, title_en="Grade four tour", grade_min=4, grade_max=4)

    assert _option(_page(client, _school_slot(venue, 5)), tour.id) == "Grade four tour (Grade 4)"


def test_the_program_a_time_runs_shows_its_grades(client, teacher):
    venue = factories.venue()
    tour = factories.program(venue, title_en="Only tour", grade_min=1, grade_max=9)
    slot = factories.slot(venue, audience="school", days_ahead=5, program_id=tour.id)

    assert _option(_page(client, slot), tour.id) == "Only tour (Grade 1 to Grade 9)"


def test_program_grades_are_written_in_the_readers_language(client, teacher):
    venue = factories.venue()
    tour = factories.program(venue, title_zh="星空导览", grade_min=3, grade_max=6)

    option = _option(_page(client, _school_slot(venue, 5), lang="zh"), tour.id)

    assert option.startswith("星空导览") and "3" in option and "6" in option and "Grade" not in option
