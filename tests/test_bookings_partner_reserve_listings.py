"""Calendars and lists show whoever is looking the places they can take: places still held for
partner schools (馆校合作) are not offered to a school that is not a partner, nor to a citizen."""
from __future__ import annotations

import re
from datetime import time, timedelta

import pytest

from app.core.time import utcnow
from app.events.themed_days import load_themed_days
from app.extensions import db
from app.scheduling.models import ProgramKind
from tests import factories
from tests.test_perf_hot_paths import statements

HELD = "Places held for partner schools until"


def _held_slot(venue=None, **kw):
    """A mixed slot of 10 places, 5 held for partner schools for 13 more days, whose 5 others a
    citizen's party has taken."""
    slot = factories.slot(venue, audience="mixed", days_ahead=20, capacity=10, reserved_seats=5,
                          reserve_until=utcnow() + timedelta(days=13), **kw)
    factories.booked_visit(slot, factories.user("citizen"), party_size=5)
    return slot


def _partner_teacher(venue):
    teacher = factories.user("teacher")
    factories.partnership(venue, teacher.school)
    return teacher


def _text(response) -> str:
    assert response.status_code == 200
    return re.sub(r"\s+", " ", response.get_data(as_text=True))


def _calendar(client, slot, path="/venues/{venue_id}") -> str:
    url = path.format(venue_id=slot.venue_id)
    return _text(client.get(f"{url}?month={slot.local_date:%Y-%m}&audience=&lang=en"))


def _entry(page: str, slot) -> str:
    """The calendar's line for ``slot``: its time, audience, places and action."""
    return re.search(r'<li class="(?:full|open)"> <span class="slot-time">09:00–12:00</span>.*?</li>', page).group(0)


def _book_link(slot) -> str:
    return f'href="/slots/{slot.id}/book">Book<'


@pytest.mark.parametrize("path", ["/venues/{venue_id}", "/venues/{venue_id}/availability"])
def test_a_school_that_is_not_a_partner_is_not_offered_places_held_for_partner_schools(client, auth, path):
    slot = _held_slot()
    auth.login(factories.user("teacher").email)

    page = _calendar(client, slot, path)

    entry = _entry(page, slot)
    assert _book_link(slot) not in page
    assert HELD in entry and "5 places left" not in page
    assert '<p class="day-summary">Fully booked</p>' in page


def test_a_partner_schools_teacher_is_offered_the_places_held_for_them(client, auth):
    slot = _held_slot()
    auth.login(_partner_teacher(slot.venue).email)

    page = _calendar(client, slot)

    assert _book_link(slot) in page
    assert "5 places left" in _entry(page, slot) and HELD not in page


def test_a_citizen_is_told_the_places_left_are_held_and_offered_the_waiting_list(client, auth):
    slot = _held_slot()
    auth.login(factories.user("citizen").email)

    entry = _entry(_calendar(client, slot), slot)

    assert _book_link(slot) not in entry and HELD in entry
    assert f'href="/slots/{slot.id}/book">Join the waiting list' in entry


def test_someone_not_signed_in_still_sees_every_place_left(client):
    slot = _held_slot()

    entry = _entry(_calendar(client, slot), slot)

    assert _book_link(slot) in entry and "5 places left" in entry and HELD not in entry


def test_places_are_offered_to_everyone_once_the_reserve_is_released(client, auth):
    slot = _held_slot()
    slot.reserve_until = utcnow() - timedelta(minutes=1)
    db.session.commit()
    auth.login(factories.user("teacher").email)

    entry = _entry(_calendar(client, slot), slot)

    assert _book_link(slot) in entry and "5 places left" in entry and HELD not in entry


def test_a_school_that_is_not_a_partner_is_shown_the_places_it_can_book_in_the_calendar(client, auth):
    slot = factories.slot(audience="school", days_ahead=20, capacity=40, reserved_seats=12,
                          reserve_until=utcnow() + timedelta(days=13))
    auth.login(factories.user("teacher").email)

    page = _calendar(client, slot)

    assert "28 places left" in _entry(page, slot) and _book_link(slot) in page
    assert '<p class="day-summary">28 places left</p>' in page


def test_the_calendar_reads_a_teachers_places_without_a_statement_per_slot(client, auth):
    venue = factories.venue()
    first = _held_slot(venue)
    auth.login(factories.user("teacher").email)
    url = f"/venues/{venue.id}?month={first.local_date:%Y-%m}&lang=en"
    client.get(url)  # the first page after signing in also records the visit

    def counted() -> list[str]:
        db.session.expire_all()  # nothing the test loaded spares the page a statement
        with statements() as seen:
            assert client.get(url).status_code == 200
        return seen

    one = counted()
    for hour in range(13, 17):  # four more times that day
        _held_slot(venue, start=time(hour), end=time(hour + 1))
    five = counted()
    assert len(five) == len(one), five
    assert sum(s.startswith("select partnerships") for s in five) == 1


def test_the_events_page_does_not_offer_places_held_for_partner_schools(client, auth):
    load_themed_days()
    db.session.commit()
    venue = factories.venue()
    program = factories.program(venue, kind=ProgramKind.THEMED_ACTIVITY, title_zh="科普日开放实验室",
                                themed_day_key="national_science_day")
    slot = _held_slot(venue, program_id=program.id)

    auth.login(factories.user("teacher").email)
    page = _text(client.get("/events?lang=en"))
    assert _book_link(slot) not in page and HELD in page
    auth.logout()
    auth.login(_partner_teacher(venue).email)
    page = _text(client.get("/events?lang=en"))
    assert _book_link(slot) in page and HELD not in page


def test_the_elder_time_screen_offers_a_citizen_the_waiting_list_for_held_places(client, auth):
    slot = _held_slot()
    auth.login(factories.user("citizen").email)
    client.get("/?mode=elder&lang=en")

    day = _text(client.get(f"/venues/{slot.venue_id}/book"))
    time_screen = _text(client.get(f"/venues/{slot.venue_id}/book?step=time&day={slot.local_date.isoformat()}"))

    assert "Fully booked" in day and "5 places left" not in day
    assert HELD in time_screen and "step-choice full" in time_screen
    assert f"slot={slot.id}&amp;join_waitlist=y" in time_screen
