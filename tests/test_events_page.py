"""The city-wide themed events page and its calendar feed."""
from __future__ import annotations

from datetime import timedelta

import icalendar
import pytest
import vobject
from babel.dates import format_date

from app.core.time import local_today
from app.events.themed_days import load_themed_days
from app.extensions import db
from app.scheduling.models import ProgramKind
from app.venues.models import VenueStatus
from tests import factories
from tests.factories import GULOU, XUANWU


def _themed_slot(venue=None, theme="national_science_day", title="科普日开放实验室", **slot_kw):
    venue = venue or factories.venue()
    program = factories.program(venue, kind=ProgramKind.THEMED_ACTIVITY, title_zh=title, themed_day_key=theme)
    return factories.slot(venue, program_id=program.id, **slot_kw)


def _setup_days():
    load_themed_days()
    db.session.commit()


def test_the_events_page_lists_upcoming_themed_events_with_their_times(client):
    _setup_days()
    venue = factories.venue(name_zh="南京科技馆")
    slot = _themed_slot(venue, title="机器人工作坊")
    plain = factories.program(venue, title_zh="常规导览")
    factories.slot(venue, program_id=plain.id)
    _themed_slot(venue, title="已结束的活动", days_ahead=-3)

    page = client.get("/events").get_data(as_text=True)

    assert "机器人工作坊" in page and "南京科技馆" in page
    assert f'href="/venues/{venue.id}"' in page
    assert f'href="/slots/{slot.id}/book"' in page
    assert "常规导览" not in page and "已结束的活动" not in page


def test_the_events_page_filters_by_themed_day(client):
    _setup_days()
    _themed_slot(title="科普日活动", theme="national_science_day")
    _themed_slot(title="科技周活动", theme="science_week")

    page = client.get("/events?theme=science_week").get_data(as_text=True)

    assert "科技周活动" in page and "科普日活动" not in page


def test_the_events_page_filters_by_district(client):
    _setup_days()
    _themed_slot(factories.venue(district_code=XUANWU), title="玄武活动")
    _themed_slot(factories.venue(district_code=GULOU), title="鼓楼活动")

    page = client.get(f"/events?district={GULOU}").get_data(as_text=True)

    assert "鼓楼活动" in page and "玄武活动" not in page


def test_unknown_filters_are_ignored_rather_than_failing(client):
    _setup_days()
    _themed_slot(title="科普日活动")

    response = client.get("/events?theme=nonsense&district=999&page=99999999999999999999", follow_redirects=True)

    assert response.status_code == 200


def test_events_of_unapproved_venues_are_not_listed(client):
    _setup_days()
    _themed_slot(factories.venue(status=VenueStatus.SUSPENDED), title="暂停场馆的活动")

    assert "暂停场馆的活动" not in client.get("/events").get_data(as_text=True)


def test_the_events_page_lists_the_coming_themed_days_with_dates(client):
    _setup_days()
    today = local_today()
    year = today.year if (today.month, today.day) <= (3, 28) else today.year + 1  # China Water Week's coming one

    page = client.get("/events?lang=en").get_data(as_text=True)

    assert "China Water Week" in page
    assert f"Mar 22, {year}" in page and f"Mar 28, {year}" in page  # dates as English writes them


def test_the_events_feed_lists_every_upcoming_themed_slot_city_wide(client):
    _setup_days()
    wanted = [_themed_slot(factories.venue(district_code=XUANWU)),
              _themed_slot(factories.venue(district_code=GULOU), theme="science_week", days_ahead=9)]
    _themed_slot(days_ahead=-1)
    _themed_slot(factories.venue(status=VenueStatus.SUBMITTED))
    factories.slot()

    response = client.get("/events/calendar.ics")

    assert response.status_code == 200 and response.mimetype == "text/calendar"
    assert 'filename="scivisit-events.ics"' in response.headers["Content-Disposition"]
    events = icalendar.Calendar.from_ical(response.data).walk("VEVENT")
    assert {str(e["uid"]) for e in events} == {f"slot-{s.id}@scivisit" for s in wanted}
    parsed = vobject.readOne(response.get_data(as_text=True))
    assert all(e.dtstart.value.utcoffset() == timedelta(hours=8) for e in parsed.vevent_list)


def test_an_events_feed_entry_names_its_themed_day(client):
    _setup_days()
    _themed_slot(theme="science_week")

    event = icalendar.Calendar.from_ical(client.get("/events/calendar.ics?lang=en").data).walk("VEVENT")[0]

    assert "Science and Technology Week" in event["categories"].to_ical().decode()


@pytest.mark.parametrize("mode", ["standard", "elder"])
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_each_time_of_an_event_gives_its_day_in_full_in_either_mode(client, lang, mode):
    _setup_days()
    slot = _themed_slot(days_ahead=5)

    page = client.get("/events", query_string={"lang": lang, "mode": mode}).get_data(as_text=True)

    day = slot.local_date
    assert f'<time datetime="{day.isoformat()}">{format_date(day, "full", locale=lang)}</time>' in page
    assert day.isoformat() not in page.replace(f'datetime="{day.isoformat()}"', "")  # ISO for machines only


def test_the_times_of_an_event_are_a_table_that_stacks_into_cards_on_a_phone(client):
    _setup_days()
    _themed_slot()

    page = client.get("/events", query_string={"mode": "elder"}).get_data(as_text=True)

    times = page.split('class="card event"', 1)[1].split("</table>", 1)[0]
    assert '<table class="stacked' in times
    # each cell says what it is on a card (the heading row is out of sight there)
    assert times.count('class="cell-name"') == 3
