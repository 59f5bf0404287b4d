"""The month a venue's calendar opens on: this one while it has times left, else the next one
that has, so that on the last day of a month a visitor does not land on an empty month."""
from __future__ import annotations

import re
from datetime import date, datetime, time

import pytest
import time_machine

from app.core.time import LOCAL_TZ
from tests import factories

# A Saturday, the last day of a month, mid-morning in Nanjing.
MONTH_END = datetime(2030, 11, 30, 10, 0, tzinfo=LOCAL_TZ)


@pytest.fixture
def month_end(app):
    with time_machine.travel(MONTH_END, tick=False):
        yield


def shown_month(html: str) -> str:
    return re.search(r'<h[23] id="month-\d+-(\d{4}-\d{2})"', html).group(1)


@pytest.mark.parametrize("path", ["/venues/{id}?lang=en", "/venues/{id}/availability?lang=en"])
def test_with_no_times_left_this_month_the_calendar_opens_on_the_next_month_with_times(client, month_end, path):
    venue = factories.venue()
    factories.slot(venue, day=date(2030, 11, 30), start=time(9), end=time(9, 30))  # began an hour ago
    factories.slot(venue, day=date(2030, 12, 2), capacity=25)

    html = client.get(path.format(id=venue.id)).get_data(as_text=True)

    assert shown_month(html) == "2030-12" and "December 2030" in html
    assert "25 places left" in html and "No open times in this month." not in html
    assert re.search(r'rel="prev" href="[^"]*month=2030-11', html)  # back to this month in one step


def test_with_a_time_left_today_the_calendar_opens_on_this_month(client, month_end):
    venue = factories.venue()
    factories.slot(venue, day=date(2030, 11, 30), start=time(14), end=time(16))
    factories.slot(venue, day=date(2030, 12, 2))

    assert shown_month(client.get(f"/venues/{venue.id}?lang=en").get_data(as_text=True)) == "2030-11"


def test_a_month_asked_for_is_shown_even_when_it_has_no_times(client, month_end):
    venue = factories.venue()
    factories.slot(venue, day=date(2030, 12, 2))

    html = client.get(f"/venues/{venue.id}?lang=en&month=2030-11").get_data(as_text=True)

    assert shown_month(html) == "2030-11" and "No open times in this month." in html
    assert re.search(r'rel="next" href="[^"]*month=2030-12', html)


def test_the_calendar_opens_on_the_next_month_with_times_the_visitor_can_book(client, auth, month_end):
    """A citizen's calendar shows public times: a class-only time this month does not hold it here."""
    venue = factories.venue()
    factories.slot(venue, day=date(2030, 11, 30), start=time(14), end=time(16), audience="school")
    factories.slot(venue, day=date(2031, 1, 6), audience="public")
    auth.login(factories.user("citizen").email)

    assert shown_month(client.get(f"/venues/{venue.id}?lang=en").get_data(as_text=True)) == "2031-01"


def test_a_venue_with_no_times_ahead_opens_on_this_month(client, month_end):
    venue = factories.venue()

    html = client.get(f"/venues/{venue.id}?lang=en").get_data(as_text=True)

    assert shown_month(html) == "2030-11" and "No open times in this month." in html


# --- the month opens on a time the viewer can still book, by their own booking window --------------

def test_a_teachers_calendar_skips_a_month_whose_last_time_has_closed_for_booking(client, auth, month_end):
    """On 30 Nov, today's school time closed for booking three days ago (its 72-hour cutoff): a
    teacher lands on December's times, which they can book."""
    venue = factories.venue()
    factories.slot(venue, day=date(2030, 11, 30), start=time(14), end=time(16), audience="school",
                   window_closes_hours=72)
    factories.slot(venue, day=date(2030, 12, 9), audience="school", window_closes_hours=72)
    auth.login(factories.user("teacher").email)

    for path in (f"/venues/{venue.id}?lang=en", f"/venues/{venue.id}/availability?lang=en"):
        assert shown_month(client.get(path).get_data(as_text=True)) == "2030-12"


def test_a_citizen_still_lands_on_this_month_while_todays_public_time_can_be_booked(client, auth, month_end):
    venue = factories.venue()
    factories.slot(venue, day=date(2030, 11, 30), start=time(14), end=time(16), audience="school",
                   window_closes_hours=72)
    factories.slot(venue, day=date(2030, 11, 30), start=time(15), end=time(16), audience="public",
                   window_closes_hours=2)
    factories.slot(venue, day=date(2030, 12, 9), audience="public")
    auth.login(factories.user("citizen").email)

    assert shown_month(client.get(f"/venues/{venue.id}?lang=en").get_data(as_text=True)) == "2030-11"


def test_a_time_not_yet_open_for_booking_counts_as_one_the_viewer_can_book(client, auth, month_end):
    venue = factories.venue()
    factories.slot(venue, day=date(2030, 11, 30), start=time(14), end=time(16), window_closes_hours=12)  # closed
    factories.slot(venue, day=date(2031, 2, 3), window_opens_days=7)  # opens in late January

    assert shown_month(client.get(f"/venues/{venue.id}?lang=en").get_data(as_text=True)) == "2031-02"


def test_with_every_time_ahead_closed_for_booking_the_calendar_opens_on_this_month(client, month_end):
    venue = factories.venue()
    factories.slot(venue, day=date(2030, 12, 1), start=time(9), end=time(10), window_closes_hours=48)

    assert shown_month(client.get(f"/venues/{venue.id}?lang=en").get_data(as_text=True)) == "2030-11"


def test_a_month_gone_by_says_it_is_over_not_that_the_venue_had_no_times(client, month_end):
    venue = factories.venue()
    factories.slot(venue, day=date(2030, 10, 14), audience="public")  # held, and over
    factories.slot(venue, day=date(2030, 12, 9), audience="public")

    for path in (f"/venues/{venue.id}?month=2030-10&lang=en", f"/venues/{venue.id}/availability?month=2030-10"
                                                                "&lang=en"):
        html = client.get(path).get_data(as_text=True)
        assert shown_month(html) == "2030-10"
        assert "This month is over. The calendar shows the times still to come, from today on." in html
        assert "No open times" not in html  # nor on any of its days: each is over
        assert '<p class="day-summary muted">Over</p>' in html
    html = client.get(f"/venues/{venue.id}?month=2030-11&lang=en").get_data(as_text=True)  # its last day is today
    assert "This month is over" not in html and "No open times in this month." in html
