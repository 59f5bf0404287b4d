"""A teacher sees their school's cooperation agreements (馆校合作) and what they give the school."""
from __future__ import annotations

import re
from datetime import timedelta

from babel.dates import format_date

from app.bookings.models import BookingRules, Partnership
from app.core.time import local_today
from app.extensions import db
from tests import factories


def _agree(venue, school, starts, ends):
    db.session.add(Partnership(venue_id=venue.id, school_id=school.id, valid_from=starts, valid_to=ends))
    db.session.commit()


def _section(page: str) -> str:
    found = re.search(r'<section[^>]*aria-labelledby="partner-venues".*?</section>', page, re.S)
    return found.group(0) if found else ""


def test_a_teacher_sees_the_agreements_of_their_school_in_force_and_to_come(client, auth):
    today = local_today()
    teacher = factories.user("teacher")
    running = factories.venue(name_en="Running Hall")
    db.session.add(BookingRules(venue_id=running.id, partner_early_days=14, partner_reserved_pct=25))
    coming = factories.venue(name_en="Coming Hall")
    ended = factories.venue(name_en="Ended Hall")
    _agree(running, teacher.school, today - timedelta(days=60), today + timedelta(days=20))
    _agree(coming, teacher.school, today + timedelta(days=30), today + timedelta(days=395))
    _agree(ended, teacher.school, today - timedelta(days=400), today - timedelta(days=1))
    _agree(factories.venue(name_en="Other School's Hall"), factories.school(), today, today + timedelta(days=100))
    auth.login(teacher.email)

    section = _section(client.get("/me?lang=en").get_data(as_text=True))

    assert "Running Hall" in section and "Coming Hall" in section
    assert "Ended Hall" not in section and "Other School" not in section
    assert f"until {format_date(today + timedelta(days=20), 'medium', locale='en')}" in section
    assert f"from {format_date(today + timedelta(days=30), 'medium', locale='en')}" in section
    assert "book 14 days earlier than other schools" in section and "25%" in section
    assert "other schools. 25%" in section  # two sentences, not "schools.25%"
    assert f'href="/venues/{running.id}"' in section


def test_a_teacher_whose_school_has_no_agreement_is_told_what_one_would_give(client, auth):
    teacher = factories.user("teacher")
    auth.login(teacher.email)

    section = _section(client.get("/me?lang=en").get_data(as_text=True))

    assert "Your school has no cooperation agreement with a venue." in section
    assert "馆校合作" in _section(client.get("/me?lang=zh").get_data(as_text=True))


def test_other_roles_see_no_partner_venues(client, auth):
    auth.login(factories.user("citizen").email)
    assert _section(client.get("/me?lang=en").get_data(as_text=True)) == ""


def test_a_teacher_reads_the_agreement_dates_as_their_language_writes_them(client, auth):
    today = local_today()
    teacher = factories.user("teacher")
    ends = today + timedelta(days=20)
    _agree(factories.venue(name_zh="合作馆"), teacher.school, today - timedelta(days=60), ends)
    auth.login(teacher.email)

    section = _section(client.get("/me?lang=zh").get_data(as_text=True))

    assert f"{ends.year}年{ends.month}月{ends.day}日" in section
    assert ends.isoformat() not in section
