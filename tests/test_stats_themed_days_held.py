"""The dashboard's "Themed science days" counts the events held: their sessions that have started, or
already let visitors in (half an hour before the start); a session later today is not held yet. The
annual report counts its themed events by the same rule."""
from __future__ import annotations

import re
from datetime import datetime, time

import pytest
import time_machine

from app.accounts.models import Role
from app.checkin import services as checkin_services
from app.core.time import LOCAL_TZ, from_local
from app.events.models import ThemedDay
from app.extensions import db
from app.venues.models import VenueStatus, VenueStatusChange
from tests import factories

NOW = datetime(2026, 9, 20, 10, 0, tzinfo=LOCAL_TZ)  # Science and Technology Week, Sunday 10:00
ROW = re.compile(r'<tr><th scope="row">([^<]+)</th><td class="num">([^<]*)</td>\s*'
                 r'<td class="num">([^<]*)</td><td class="num">([^<]*)</td></tr>')


@pytest.fixture
def clock(app):
    db.session.add(ThemedDay(key="science_week", name_zh="科技活动周", name_en="Science and Technology Week",
                             rule_kind="fixed", rule="09-20..09-26"))
    db.session.commit()
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def venue(clock):
    venue = factories.venue()
    approved = from_local(datetime(2025, 3, 1, 10))  # on the register since last year: it reports this year
    venue.created_at = approved
    venue.status_changes = [VenueStatusChange(from_status=VenueStatus.SUBMITTED, to_status=VenueStatus.APPROVED,
                                              created_at=approved)]
    db.session.commit()
    return venue


def session_today(venue, start: time, capacity: int):
    event = factories.program(venue, themed_day_key="science_week")
    return factories.slot(venue, days_ahead=0, start=start, end=time(start.hour + 2, start.minute), capacity=capacity,
                          program_id=event.id)


def themed_days(client) -> list[tuple[str, str, str, str]]:
    """Each themed day of the dashboard's table: its name, events held, places offered, visits."""
    page = client.get("/stats?lang=en").get_data(as_text=True)
    section = page.split('id="themed-days-heading"', 1)[1].split("</section>", 1)[0]
    return ROW.findall(section)


def test_a_session_later_today_is_not_an_event_held_until_it_starts(client, clock, venue):
    morning = session_today(venue, time(9), capacity=30)
    session_today(venue, time(14), capacity=50)
    factories.admitted_visit(morning, party_size=5)
    assert themed_days(client) == [("Science and Technology Week", "1", "30", "5")]
    clock.move_to(NOW.replace(hour=14, minute=5))
    assert themed_days(client) == [("Science and Technology Week", "2", "80", "5")]


def test_a_day_with_only_sessions_still_to_come_says_no_events_were_held(client, clock, venue):
    session_today(venue, time(14), capacity=50)
    page = client.get("/stats?lang=en").get_data(as_text=True)
    assert "No themed-day events in this period." in page


def test_a_session_letting_visitors_in_before_its_start_is_held_with_them(client, clock, venue):
    session = session_today(venue, time(10, 20), capacity=40)
    booking = factories.confirmed_visit(session, party_size=5)
    outcome = checkin_services.record_check_in(factories.gate_staff(venue), booking.reference,
                                               now=from_local(datetime(2026, 9, 20, 9, 55)))
    assert outcome.result.value == "ok"
    db.session.commit()
    assert themed_days(client) == [("Science and Technology Week", "1", "40", "5")]


def test_the_running_years_report_counts_only_the_themed_sessions_held(client, auth, clock, venue):
    session_today(venue, time(9), capacity=30)
    session_today(venue, time(14), capacity=50)
    auth.login(factories.user(Role.VENUE_MANAGER, venue=venue).email)
    page = client.get("/manage/reports/2026?lang=en").get_data(as_text=True)
    total = re.search(r"<tfoot>(.*?)</tfoot>", page, re.S).group(1)
    assert re.findall(r'<td class="num">([^<]*)</td>', total) == ["1", "30", "0"]
