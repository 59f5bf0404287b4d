"""A calendar's day total is the places whoever is looking could book that day: a citizen's counts
no school-group time, a teacher's no citizens' time, and neither counts places held for partner
schools. It is what the booking steps (a citizen) and the booking pages (a teacher) offer."""
from __future__ import annotations

import re
from datetime import time, timedelta

import pytest

from app.core.time import local_today, utcnow
from tests import factories


def _text(response) -> str:
    assert response.status_code == 200
    return re.sub(r"\s+", " ", response.get_data(as_text=True))


@pytest.fixture
def day_of_three_audiences():
    """A day with a school time (800 places), a citizens' time (2,000) and a mixed time (2,500, of
    which 500 held for partner schools for 10 more days)."""
    venue = factories.venue()
    # Five days ahead: at any hour, past the 72 hours before a visit when classes stop booking a mixed time.
    day = local_today() + timedelta(days=5)
    school = factories.slot(venue, day=day, audience="school", capacity=800)
    public = factories.slot(venue, day=day, start=time(13), end=time(14), audience="public", capacity=2000)
    mixed = factories.slot(venue, day=day, start=time(14), end=time(16), audience="mixed", capacity=2500,
                           reserved_seats=500, reserve_until=utcnow() + timedelta(days=10))
    return venue, day, {"school": school, "public": public, "mixed": mixed}


def _day_total(client, venue, day, path) -> str:
    """The day-summary of ``day`` in the venue's month calendar, with every audience's times listed."""
    page = _text(client.get(f"{path.format(venue_id=venue.id)}?month={day:%Y-%m}&audience=&lang=en"))
    days = re.findall(r'<li class="day[^"]*">(.*?)(?=<li class="day|</ol>)', page)  # the month's days, from the 1st
    return re.search(r'<p class="day-summary[^"]*">([^<]*)</p>', days[day.day - 1]).group(1).strip()


@pytest.mark.parametrize("path", ["/venues/{venue_id}", "/venues/{venue_id}/availability"])
def test_a_citizens_day_total_is_what_the_booking_steps_offer_that_day(client, auth, day_of_three_audiences, path):
    venue, day, _ = day_of_three_audiences
    auth.login(factories.user("citizen").email)

    steps = _text(client.get(f"/venues/{venue.id}/book?step=day&lang=en"))
    offered = re.search(rf'datetime="{day.isoformat()}">[^<]*</time> <span class="choice-note">([^<·]*)',
                        steps).group(1).strip()

    assert offered == "4000 places left"  # 2,000 citizens' + 2,500 mixed less 500 held
    assert _day_total(client, venue, day, path) == offered


@pytest.mark.parametrize("path", ["/venues/{venue_id}", "/venues/{venue_id}/availability"])
def test_a_teachers_day_total_is_what_the_booking_pages_offer_that_day(client, auth, day_of_three_audiences, path):
    venue, day, slots = day_of_three_audiences
    auth.login(factories.user("teacher").email)

    offered = 0
    for slot in (slots["school"], slots["mixed"]):  # the times a class may book
        page = _text(client.get(f"/slots/{slot.id}/book?lang=en"))
        offered += int(re.search(r"<strong>(\d+) places left</strong>", page).group(1))

    assert offered == 800 + 2000
    assert _day_total(client, venue, day, path) == f"{offered} places left"
