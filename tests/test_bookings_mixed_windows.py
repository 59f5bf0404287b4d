"""A mixed slot is one pool for citizens and classes, booked in different windows (classes keep the
group window): calendars tell each visitor what is true for them, and that schools may book already."""
from __future__ import annotations

import re
from datetime import datetime, timedelta

from babel.dates import format_date

from app.core.time import to_local
from tests import factories


def _when(moment: datetime) -> str:
    """A time as the English pages write it (``local_datetime``)."""
    local = to_local(moment)
    return f"{format_date(local.date(), 'medium', locale='en')} {local:%H:%M}"


def _action(client, slot, path: str | None = None, lang: str = "en") -> str:
    """The text of the calendar's link to ``slot``'s booking page ("" without one)."""
    path = path or f"/venues/{slot.venue_id}?month={slot.local_date:%Y-%m}"
    page = re.sub(r"\s+", " ", client.get(f"{path}&lang={lang}").get_data(as_text=True))
    match = re.search(rf'href="/slots/{slot.id}/book">([^<]*)<', page)
    return match.group(1).strip() if match else ""


def _mixed(days_ahead: int):
    """A mixed slot published with the public window (7 days); the venue's classes book 30 days ahead."""
    return factories.slot(audience="mixed", days_ahead=days_ahead, window_opens_days=7, capacity=100)


def test_a_visitor_is_told_schools_may_book_a_mixed_slot_not_yet_open_to_the_public(client, auth):
    slot = _mixed(20)
    told = f"Booking opens to the public {_when(slot.starts_at - timedelta(days=7))}; schools may book now"
    assert _action(client, slot) == told
    assert _action(client, slot, f"/venues/{slot.venue_id}/availability?month={slot.local_date:%Y-%m}") == told
    auth.login(factories.user("citizen").email)
    assert _action(client, slot) == told


def test_a_visitor_is_told_when_a_mixed_slot_opens_to_schools_and_to_the_public(client):
    slot = _mixed(40)
    schools, public = slot.starts_at - timedelta(days=30), slot.starts_at - timedelta(days=7)
    assert _action(client, slot) == f"Booking opens to schools {_when(schools)}, to the public {_when(public)}"


def test_a_teacher_is_shown_the_class_window_of_a_mixed_slot(client, auth):
    auth.login(factories.user("teacher").email)
    later, soon = _mixed(40), _mixed(20)
    assert _action(client, later) == f"Booking opens {_when(later.starts_at - timedelta(days=30))}"
    assert _action(client, soon) == "Book"


def test_a_slot_for_one_audience_says_only_when_booking_opens(client):
    school = factories.slot(audience="school", days_ahead=40, capacity=100)
    assert _action(client, school) == f"Booking opens {_when(school.starts_at - timedelta(days=30))}"


def test_the_chinese_calendar_says_schools_may_book_a_mixed_slot_already(client):
    slot = _mixed(20)
    assert "学校现在即可预约" in _action(client, slot, lang="zh")


def test_the_api_lists_a_mixed_slot_with_its_fields_and_places_unchanged(client):
    slot = _mixed(20)
    factories.booked_visit(slot, factories.user("teacher"), students=30, adults=2)
    listed = client.get(f"/api/v1/venues/{slot.venue_id}/slots?from={slot.local_date}&to={slot.local_date}")
    item = listed.get_json()["items"][0]
    assert {name: item[name] for name in ("id", "capacity", "available", "audience")} == {
        "id": slot.id, "capacity": 100, "available": 68, "audience": "mixed"}
    assert item["start"] == to_local(slot.starts_at).isoformat() and item["end"] == to_local(slot.ends_at).isoformat()
