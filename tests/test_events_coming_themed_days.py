"""The events page lists the themed days still to come, so that in December it shows next spring's
dates rather than a year of days already over."""
from __future__ import annotations

from datetime import date, datetime, time

import time_machine

from app.core.time import LOCAL_TZ, local_today
from app.events.models import ThemedDayDates
from app.events.themed_days import load_themed_days, themed_day_by_key
from app.extensions import db


def _setup_days():
    load_themed_days()
    db.session.commit()


def test_in_december_the_events_page_lists_next_years_themed_days(client):
    _setup_days()
    year = local_today().year
    with time_machine.travel(datetime.combine(local_today().replace(month=12, day=10), time(10), LOCAL_TZ)):
        page = client.get("/events?lang=en").get_data(as_text=True)

    days = page.split('id="days-heading"', 1)[1]
    assert "Coming themed days" in days
    assert f"Mar 22, {year + 1}" in days and f"Mar 28, {year + 1}" in days  # China Water Week next year
    assert f"Mar 22, {year}" not in days


def test_a_themed_day_under_way_is_listed_with_this_years_dates(client):
    _setup_days()
    year = local_today().year
    with time_machine.travel(datetime.combine(local_today().replace(month=4, day=10), time(10), LOCAL_TZ)):
        page = client.get("/events?lang=en").get_data(as_text=True)

    days = page.split('id="days-heading"', 1)[1]
    assert f"Apr 1, {year} – Apr 30, {year}" in days  # Patriotic Health Month, still on
    assert f"Mar 22, {year + 1}" in days  # China Water Week, over this year
    # In calendar order of their coming dates: April's month before next March's week.
    assert days.index("Patriotic Health Month") < days.index("China Water Week")


def test_a_themed_day_whose_next_dates_are_not_announced_says_so(client):
    _setup_days()
    year = local_today().year
    science_week = themed_day_by_key("science_week")
    science_week.dates.append(ThemedDayDates(year=year, starts_on=date(year, 5, 16), ends_on=date(year, 5, 23)))
    db.session.commit()
    with time_machine.travel(datetime.combine(local_today().replace(month=12, day=10), time(10), LOCAL_TZ)):
        page = client.get("/events?lang=zh").get_data(as_text=True)

    days = page.split('id="days-heading"', 1)[1]
    row = days.split("科技活动周", 1)[1].split("</tr>", 1)[0]
    assert "日期尚未公布" in row and f"{year}年5月16日" not in row  # this year's are over, next year's unknown


def test_national_science_popularization_day_is_all_of_september_from_2025_on(client):
    """The revised Science Popularization Law made September the national science popularization month:
    the years after the last announced one read September 1 to 30, not "not announced"."""
    _setup_days()
    year = local_today().year
    with time_machine.travel(datetime.combine(local_today().replace(month=12, day=10), time(10), LOCAL_TZ)):
        page = client.get("/events?lang=zh").get_data(as_text=True)

    row = page.split('id="days-heading"', 1)[1].split("全国科普日", 1)[1].split("</tr>", 1)[0]
    assert f"{year + 1}年9月1日" in row and f"{year + 1}年9月30日" in row and "日期尚未公布" not in row
