"""A themed event's dates against its themed day's (III.9.3): a manager publishing a themed program's
slot, schedule or correction on days outside the themed day's dates of that year, or in a year whose
dates are not announced, is told next to the date and confirms (a themed week's activities sometimes
run a few days around it); nothing typed is lost. Visitors booking such a slot see its themed day, and
the public dashboard counts each themed day's events, places and visits."""
from __future__ import annotations

import html
import re
from datetime import date, time, timedelta

import pytest
from sqlalchemy import func, select

from app.accounts.models import Role
from app.core.time import local_today
from app.events.models import ThemedDay, ThemedDayDates, ThemedDayRule
from app.extensions import db
from app.scheduling.models import ProgramKind, Slot
from tests import factories

OUTSIDE = "is outside the dates of Test Week in"
NOT_ANNOUNCED = "are not announced yet"
CONFIRM = "Yes, publish it on these dates"


def themed_day(key: str = "test_week", *, first: date | None = None, days: int = 7, **kw) -> ThemedDay:
    """A themed day whose dates (when ``first`` is given) are ``days`` days from ``first``, and in the
    next year a week in December: known in both years a test's days fall in."""
    row = ThemedDay(key=key, name_zh=kw.pop("name_zh", "测试周"), name_en=kw.pop("name_en", "Test Week"),
                    rule_kind=ThemedDayRule.YEARLY_TABLE, rule="set each year")
    if first is not None:
        row.dates = [ThemedDayDates(year=first.year, starts_on=first, ends_on=first + timedelta(days=days - 1)),
                     ThemedDayDates(year=first.year + 1, starts_on=date(first.year + 1, 12, 1),
                                    ends_on=date(first.year + 1, 12, 7))]
    db.session.add(row)
    db.session.commit()
    return row


@pytest.fixture
def week_start() -> date:
    return local_today() + timedelta(days=10)


@pytest.fixture
def manager(auth, week_start):
    themed_day(first=week_start)
    person = factories.user(Role.VENUE_MANAGER)
    auth.login(person.email)
    return person


@pytest.fixture
def event(manager):
    return factories.program(manager.venue, kind=ProgramKind.THEMED_ACTIVITY, themed_day_key="test_week",
                             title_zh="测试周活动", title_en="Test Week activity")


def slot_form(program, on: date, **extra) -> dict:
    return {"day": on.isoformat(), "start": "10:00", "end": "11:00", "audience": "mixed", "capacity": "37",
            "admission": "free", "program_id": str(program.id), **extra}


def slots() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count(Slot.id)))


def warning_of(page: str) -> tuple[str, str]:
    """The warning's text and the token its confirmation carries."""
    notice = page.split('id="themed-dates"', 1)[1].split("</div>", 1)[0]
    token = re.search(r'name="themed_dates_seen"[^>]*value="([^"]*)"|value="([^"]*)"[^>]*name="themed_dates_seen"',
                      page)
    return html.unescape(re.sub(r"<[^>]+>", " ", notice)), next(g for g in token.groups() if g)


def test_a_slot_outside_the_themed_days_dates_is_published_once_the_manager_confirms(client, event, week_start):
    day = week_start + timedelta(days=20)
    response = client.post("/manage/slots/new?lang=en", data=slot_form(event, day))
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and slots() == 0
    text, token = warning_of(page)
    assert OUTSIDE in text and CONFIRM in page
    # Said next to the date, before the times; what was typed is kept.
    assert page.index('id="day"') < page.index('id="themed-dates"') < page.index('id="start"')
    assert 'value="37"' in page and f'value="{day.isoformat()}"' in page

    # Sent again without ticking: still a question, nothing published.
    assert client.post("/manage/slots/new?lang=en", data=slot_form(event, day, themed_dates_seen=token)
                       ).status_code == 200 and slots() == 0
    response = client.post("/manage/slots/new?lang=en",
                           data=slot_form(event, day, themed_dates_ok="y", themed_dates_seen=token))
    assert response.status_code == 302 and slots() == 1


def test_a_confirmation_stands_for_the_days_it_was_given_for(client, event, week_start):
    day = week_start + timedelta(days=20)
    _text, token = warning_of(client.post("/manage/slots/new?lang=en", data=slot_form(event, day)).get_data(as_text=True))
    other = day + timedelta(days=1)
    response = client.post("/manage/slots/new?lang=en",
                           data=slot_form(event, other, themed_dates_ok="y", themed_dates_seen=token))
    assert response.status_code == 200 and slots() == 0
    page = response.get_data(as_text=True)
    assert OUTSIDE in warning_of(page)[0]
    assert re.search(r'<input[^>]*id="themed_dates_ok"[^>]*>', page) and " checked" not in re.search(
        r'<input[^>]*id="themed_dates_ok"[^>]*>', page).group(0)


def test_a_slot_within_the_themed_days_dates_or_of_another_program_publishes_at_once(client, manager, event,
                                                                                     week_start):
    assert client.post("/manage/slots/new", data=slot_form(event, week_start + timedelta(days=3))).status_code == 302
    plain = factories.program(manager.venue)
    assert client.post("/manage/slots/new", data=slot_form(plain, week_start + timedelta(days=30))).status_code == 302
    assert slots() == 2


def test_a_year_without_announced_dates_is_said_so(client, manager):
    themed_day("unannounced_week", name_en="Unannounced Week")
    program = factories.program(manager.venue, themed_day_key="unannounced_week")
    page = client.post("/manage/slots/new?lang=en", data=slot_form(program, local_today() + timedelta(days=5))
                       ).get_data(as_text=True)
    text, _token = warning_of(page)
    assert "The dates of Unannounced Week in" in text and NOT_ANNOUNCED in text and slots() == 0


def test_the_warning_is_in_the_managers_language(client, event, week_start):
    page = client.post("/manage/slots/new?lang=zh", data=slot_form(event, week_start + timedelta(days=20))
                       ).get_data(as_text=True)
    assert "测试周" in warning_of(page)[0]


def test_a_schedule_running_past_the_themed_days_dates_asks_first(client, event, week_start):
    data = {"starts_on": week_start.isoformat(), "ends_on": (week_start + timedelta(days=9)).isoformat(),
            "weekdays": [str(d) for d in range(1, 8)], "sessions": "10:00-11:00", "audience": "mixed",
            "capacity": "20", "admission": "free", "program_id": str(event.id)}
    response = client.post("/manage/schedules/new?lang=en", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and slots() == 0
    text, token = warning_of(page)
    assert "3 of these days, from" in text and "are outside the dates of Test Week" in text
    assert page.index('id="ends_on"') < page.index('id="themed-dates"') < page.index('id="weekdays"')
    assert 'value="10:00-11:00"' in page
    response = client.post("/manage/schedules/new", data={**data, "themed_dates_ok": "y", "themed_dates_seen": token})
    assert response.status_code == 302 and slots() == 10


def test_moving_a_themed_slot_outside_the_dates_asks_first_and_keeping_its_day_does_not(client, event, week_start):
    slot = factories.slot(event.venue, day=week_start + timedelta(days=1), program_id=event.id, audience="mixed")
    form = {"start": "10:00", "end": "11:00", "audience": "mixed", "admission": "free", "program_id": str(event.id)}
    assert client.post(f"/manage/slots/{slot.id}/edit", data={**form, "day": slot.local_date.isoformat()}
                       ).status_code == 302
    away = week_start + timedelta(days=25)
    response = client.post(f"/manage/slots/{slot.id}/edit?lang=en", data={**form, "day": away.isoformat()})
    assert response.status_code == 200
    _text, token = warning_of(response.get_data(as_text=True))
    db.session.expire_all()
    assert db.session.get(Slot, slot.id).local_date == week_start + timedelta(days=1)
    assert client.post(f"/manage/slots/{slot.id}/edit", data={**form, "day": away.isoformat(), "themed_dates_ok": "y",
                                                              "themed_dates_seen": token}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Slot, slot.id).local_date == away


def test_the_api_publishes_a_themed_slot_on_any_day(client, manager, event, week_start):
    day = week_start + timedelta(days=20)
    token = factories.user_token(manager)
    response = client.post(f"/api/v1/venues/{manager.venue.id}/slots", headers={"Authorization": f"Bearer {token}"},
                           json={"start": f"{day.isoformat()}T10:00:00", "end": f"{day.isoformat()}T11:00:00",
                                 "capacity": 10, "audience": "public", "program_id": event.id})
    assert response.status_code == 201, response.get_json()


# --- visitors --------------------------------------------------------------------------------------

def test_the_booking_page_and_the_ticket_name_the_themed_day(client, auth, week_start):
    themed_day("national_science_day", first=week_start, name_zh="全国科普日",
               name_en="National Science Popularization Day")
    venue = factories.venue()
    program = factories.program(venue, themed_day_key="national_science_day")
    slot = factories.slot(venue, days_ahead=2, program_id=program.id)
    citizen = factories.user(Role.CITIZEN)
    auth.login(citizen.email)
    for lang in ("zh", "en"):
        page = client.get(f"/slots/{slot.id}/book?lang={lang}").get_data(as_text=True)
        assert "全国科普日 · National Science Popularization Day" in page
    booking = factories.booked_visit(slot, citizen)
    assert "全国科普日 · National Science Popularization Day" in client.get(f"/bookings/{booking.id}"
                                                                            ).get_data(as_text=True)
    plain = factories.slot(venue, days_ahead=3, program_id=factories.program(venue).id)
    assert "Themed day" not in client.get(f"/slots/{plain.id}/book?lang=en").get_data(as_text=True)


# --- the public dashboard ---------------------------------------------------------------------------

def themed_section(page: str) -> str:
    return page.split('id="themed-days-heading"', 1)[1].split("</section>", 1)[0]


def themed_rows(page: str) -> dict[str, list[str]]:
    return {name: re.findall(r'<td class="num">([^<]*)</td>', row) for name, row in
            re.findall(r'<tr><th scope="row">([^<]*)</th>(.*?)</tr>', themed_section(page), re.S)}


def test_the_dashboard_counts_each_themed_days_events_places_and_visits(client):
    themed_day("national_science_day", name_zh="全国科普日", name_en="National Science Popularization Day")
    themed_day("science_week", name_zh="科技活动周", name_en="Science and Technology Week")
    xuanwu, gulou = factories.venue(), factories.venue(district_code=factories.GULOU)
    day = local_today() - timedelta(days=3)
    science_day = [factories.program(v, themed_day_key="national_science_day") for v in (xuanwu, gulou)]
    week = factories.program(xuanwu, themed_day_key="science_week")
    held = factories.slot(xuanwu, day=day, program_id=science_day[0].id, capacity=40, audience="mixed")
    factories.slot(xuanwu, day=day, start=time(14), end=time(16), program_id=science_day[0].id, capacity=20)
    elsewhere = factories.slot(gulou, day=day, program_id=science_day[1].id, capacity=50, audience="mixed")
    factories.slot(xuanwu, day=day, start=time(13), end=time(14), program_id=week.id, capacity=15)
    factories.slot(xuanwu, day=day, start=time(17), end=time(18), capacity=99)  # no themed day
    factories.admitted_visit(held, party_size=3)
    factories.admitted_visit(elsewhere, party_size=4)
    factories.walk_in(xuanwu, persons=5, when=held.starts_at)  # not on a themed event

    period = f"from={day.isoformat()}&to={local_today().isoformat()}"
    page = client.get(f"/stats?{period}&lang=en").get_data(as_text=True)
    assert themed_rows(page) == {"National Science Popularization Day": ["2", "110", "7"],
                                 "Science and Technology Week": ["1", "15", "0"]}
    assert themed_rows(client.get(f"/stats?{period}&district={factories.GULOU}&lang=en").get_data(as_text=True)) == {
        "National Science Popularization Day": ["1", "50", "4"]}
    assert "全国科普日" in themed_rows(client.get(f"/stats?{period}&lang=zh").get_data(as_text=True))
    earlier = day - timedelta(days=30)
    page = client.get(f"/stats?from={earlier.isoformat()}&to={(day - timedelta(days=1)).isoformat()}&lang=en"
                      ).get_data(as_text=True)
    assert themed_rows(page) == {} and "No themed-day events in this period." in themed_section(page)


def test_the_themed_days_section_is_cached_with_the_dashboards_figures(app, client):
    themed_day("science_week", name_zh="科技活动周", name_en="Science and Technology Week")
    venue = factories.venue()
    program = factories.program(venue, themed_day_key="science_week")
    factories.slot(venue, day=local_today() - timedelta(days=2), program_id=program.id, capacity=12)
    app.config["STATS_CACHE_SECONDS"] = 30
    from app.stats.figures import RECENT

    RECENT.clear()
    try:
        url = f"/stats?from={(local_today() - timedelta(days=2)).isoformat()}&to={local_today().isoformat()}&lang=en"
        first = themed_rows(client.get(url).get_data(as_text=True))
        factories.slot(venue, day=local_today() - timedelta(days=1), program_id=program.id, capacity=8)
        assert themed_rows(client.get(url).get_data(as_text=True)) == first  # from the cache
        assert first == {"Science and Technology Week": ["1", "12", "0"]}
    finally:
        RECENT.clear()
        app.config["STATS_CACHE_SECONDS"] = 0


def test_a_themed_slot_on_a_closed_day_outside_the_dates_is_confirmed_twice_and_published(client, event, week_start):
    from app.scheduling.models import Closure

    day = week_start + timedelta(days=20)
    db.session.add(Closure(venue_id=event.venue_id, starts_on=day, ends_on=day, reason_zh="设备检修"))
    db.session.commit()
    _text, token = warning_of(client.post("/manage/slots/new?lang=en", data=slot_form(event, day)).get_data(as_text=True))
    response = client.post("/manage/slots/new?lang=en",
                           data=slot_form(event, day, themed_dates_ok="y", themed_dates_seen=token))
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "special opening" in page and slots() == 0
    # The special opening's own form sends the themed-dates confirmation along.
    special = page.split('name="special_opening"', 1)[0].rsplit("<form", 1)[1]
    fields = dict(re.findall(r'name="([^"]+)" value="([^"]*)"', special))
    assert fields["themed_dates_ok"] == "y" and fields["themed_dates_seen"] == token
    assert client.post("/manage/slots/new", data={**fields, "special_opening": "yes"}).status_code == 302
    assert slots() == 1


def test_tying_a_program_with_sessions_to_a_themed_day_asks_about_the_days_outside(client, manager, week_start):
    program = factories.program(manager.venue)
    factories.slot(manager.venue, day=week_start + timedelta(days=30), program_id=program.id)
    data = {"kind": "guided_tour", "themed_day_key": "test_week", "title_zh": program.title_zh, "title_en": "Tour",
            "description_zh": "", "description_en": "", "grade_min": "0", "grade_max": "12", "curriculum_link": "",
            "language": "zh", "is_active": "y"}
    response = client.post(f"/manage/programs/{program.id}/edit?lang=en", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    text, token = warning_of(page)
    assert OUTSIDE in text
    assert page.index('id="themed_day_key"') < page.index('id="themed-dates"') < page.index('id="title_zh"')
    db.session.expire_all()
    assert db.session.get(type(program), program.id).themed_day_key is None
    response = client.post(f"/manage/programs/{program.id}/edit",
                           data={**data, "themed_dates_ok": "y", "themed_dates_seen": token})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(type(program), program.id).themed_day_key == "test_week"
