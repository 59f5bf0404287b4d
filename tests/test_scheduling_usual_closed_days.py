"""A venue's month says which empty days are its usual closed weekdays, and marks times published on
such a weekday (the Spring Festival week's Monday) as a special opening, as it does on a closure."""
from __future__ import annotations

import re
from datetime import date, time, timedelta

from app.core.time import local_today
from tests import factories


def _next(weekday: int, after: date) -> date:
    """The first ISO ``weekday`` at least a week after ``after`` (inside the calendar, not past)."""
    day = after + timedelta(days=7)
    day += timedelta(days=(weekday - day.isoweekday()) % 7)
    while (day + timedelta(days=2)).month != day.month:  # the two days after it in the same month
        day += timedelta(days=7)
    return day


def _day_cell(html: str, day: date) -> str:
    """The month grid's cell of ``day``: from its title to the next day's."""
    cells = re.split(r'<li class="day', html)
    title = f"{day:%B} {day.day}"
    [cell] = [c for c in cells if title in re.sub(r"<[^>]+>", " ", c.split("</h", 1)[0])]
    return cell


def test_usual_closed_weekdays_say_so_and_a_time_on_one_is_a_special_opening(client):
    venue = factories.venue(closed_weekdays="1,2")  # closed on Mondays and Tuesdays
    monday = _next(1, local_today())
    tuesday, wednesday = monday + timedelta(days=1), monday + timedelta(days=2)
    factories.slot(venue, day=monday, start=time(10), end=time(16))
    factories.slot(venue, day=wednesday)
    html = client.get(f"/venues/{venue.id}/availability?lang=en&month={monday:%Y-%m}").get_data(as_text=True)

    assert "Usually closed" in _day_cell(html, tuesday)
    assert "No open times" not in _day_cell(html, tuesday)
    opened = _day_cell(html, monday)
    assert "Special opening" in opened and "Usually closed on this weekday; open at the times below." in opened
    assert "Special opening" not in _day_cell(html, wednesday)


def test_a_venue_open_every_day_shows_no_open_times_on_an_empty_day(client):
    venue = factories.venue(closed_weekdays="")
    monday = _next(1, local_today())
    factories.slot(venue, day=monday + timedelta(days=2))
    html = client.get(f"/venues/{venue.id}/availability?lang=en&month={monday:%Y-%m}").get_data(as_text=True)
    cell = _day_cell(html, monday)
    assert "No open times" in cell and "Usually closed" not in cell and "Special opening" not in cell
