"""What a teacher reads of times before booking. A venue calendar's day whose times have all closed
for booking says so: "Booking closed", not "Fully booked", which would tell them the places were taken
when they are not (``Viewer.all_closed``); a day really full still says "Fully booked". A mixed time
says that individual visitors come to it too."""
from __future__ import annotations

import re
from datetime import time, timedelta

import pytest

from app.core.time import local_today
from tests import factories


def _day_summary(client, venue, day) -> str:
    page = re.sub(r"\s+", " ", client.get(f"/venues/{venue.id}?month={day:%Y-%m}&lang=en").get_data(as_text=True))
    days = re.findall(r'<li class="day[^"]*">(.*?)(?=<li class="day|</ol>)', page)
    return re.search(r'<p class="day-summary[^"]*">([^<]*)</p>', days[day.day - 1]).group(1).strip()


@pytest.mark.parametrize("who", ["teacher", "anonymous"])
def test_a_day_whose_class_times_have_closed_says_booking_closed(client, auth, who):
    venue = factories.venue()
    day = local_today() + timedelta(days=2)  # classes book until 72 hours before: closed already
    slot = factories.slot(venue, day=day, audience="school", capacity=400, window_closes_hours=72)
    if who == "teacher":
        auth.login(factories.user("teacher").email)

    summary = _day_summary(client, venue, day)

    assert summary == "Booking closed"
    page = client.get(f"/venues/{venue.id}?month={day:%Y-%m}&lang=en").get_data(as_text=True)
    assert "400 places left" in page and slot.capacity == 400  # the time itself still shows its places


def test_a_day_still_open_but_full_says_fully_booked(client, auth):
    venue = factories.venue()
    day = local_today() + timedelta(days=10)
    factories.slot(venue, day=day, audience="school", capacity=50, taken=50, window_closes_hours=72)
    auth.login(factories.user("teacher").email)

    assert _day_summary(client, venue, day) == "Fully booked"


def test_a_day_with_one_time_closed_and_one_open_counts_the_open_one(client, auth):
    venue = factories.venue()
    day = local_today() + timedelta(days=2)
    factories.slot(venue, day=day, audience="school", capacity=400, window_closes_hours=72)
    factories.slot(venue, day=day, start=time(14), end=time(16), audience="mixed", capacity=30)
    auth.login(factories.user("citizen").email)  # individuals book the mixed time until it starts

    assert _day_summary(client, venue, day) == "30 places left"


def test_a_class_booking_a_mixed_time_is_told_it_shares_it_with_individual_visitors(client, auth):
    venue = factories.venue()
    mixed = factories.slot(venue, days_ahead=10, audience="mixed", capacity=60)
    school = factories.slot(venue, days_ahead=10, start=time(14), end=time(16), audience="school", capacity=60)
    auth.login(factories.user("teacher").email)

    shared = "Individual visitors and school groups together, at the same time"
    assert shared in client.get(f"/slots/{mixed.id}/book?lang=en").get_data(as_text=True)
    assert shared not in client.get(f"/slots/{school.id}/book?lang=en").get_data(as_text=True)
