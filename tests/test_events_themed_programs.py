"""A venue manager ties a program to a themed day (III.9.3): its slots are then themed events, listed on
/events and in its feed, in the venue's annual report and in the evaluation's themed-event sessions."""
from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta

import icalendar
import pytest
import time_machine
from sqlalchemy import select

from app.accounts.models import Role
from app.core.time import LOCAL_TZ, local_today
from app.events.themed_days import load_themed_days, set_themed_day_dates, themed_day_by_key
from app.extensions import db
from app.scheduling.models import Program
from tests import factories

TITLE = "科技周机器人工作坊"


@pytest.fixture
def manager(auth):
    load_themed_days()
    db.session.commit()
    person = factories.user(Role.VENUE_MANAGER)
    auth.login(person.email)
    return person


def program_form(**overrides) -> dict:
    data = {"kind": "themed_activity", "themed_day_key": "science_week", "title_zh": TITLE,
            "title_en": "Science Week robot workshop", "description_zh": "", "description_en": "", "grade_min": "3",
            "grade_max": "9", "curriculum_link": "", "language": "zh", "is_active": "y"}
    data.update(overrides)
    return data


def slot_form(program: Program, on: date) -> dict:
    return {"day": on.isoformat(), "start": "10:00", "end": "11:00", "audience": "mixed", "capacity": "30",
            "admission": "free", "program_id": str(program.id)}


def saved_program() -> Program:
    db.session.expire_all()
    return db.session.scalar(select(Program))


def evaluation_figures(client, venue, year: int) -> list[str]:
    """The venue's row of the evaluation table: each indicator's figure, in the table's order."""
    page = client.get(f"/admin/evaluation?year={year}&lang=en").get_data(as_text=True)
    row = next(r for r in page.split("<tr") if venue.name_en in r)
    return re.findall(r'<td class="num">([^<]*) <span class="muted">', row)


def test_a_program_tied_to_a_themed_day_becomes_a_themed_event_everywhere(app, client, auth, manager):
    assert client.post("/manage/programs/new", data=program_form()).status_code == 302
    program = saved_program()
    assert program.themed_day_key == "science_week"
    assert "科技活动周" in client.get("/manage/programs").get_data(as_text=True)

    day = local_today() + timedelta(days=2)
    # On the themed day's dates that year (a day outside them is confirmed first: test_events_themed_dates).
    set_themed_day_dates(factories.user(Role.CITY_ADMIN), themed_day_by_key("science_week"), year=day.year,
                         starts_on=day, ends_on=day + timedelta(days=6))
    db.session.commit()
    assert client.post("/manage/slots/new", data=slot_form(program, day)).status_code == 302

    events = client.get("/events?theme=science_week").get_data(as_text=True)
    assert TITLE in events and manager.venue.name_zh in events
    feed = icalendar.Calendar.from_ical(client.get("/events/calendar.ics").data).walk("VEVENT")
    assert [str(e["summary"]) for e in feed if TITLE in str(e["summary"])]

    # The day after the visit: the session counts in the venue's report and in the evaluation.
    with time_machine.travel(datetime.combine(day + timedelta(days=1), time(9), LOCAL_TZ), tick=False):
        auth.logout()
        auth.login(manager.email)
        report = client.get(f"/manage/reports/{day.year}?lang=en").get_data(as_text=True)
        themed = report.split('id="events-heading"', 1)[1].split("</section>", 1)[0]
        assert "No themed events this year" not in themed
        assert "Science Week robot workshop" in themed and "Science and Technology Week" in themed
        assert re.search(r'<td class="num">1</td><td class="num">30</td>', themed)  # 1 session, 30 places

        auth.logout()
        auth.login(factories.user(Role.CITY_ADMIN).email)
        figures = evaluation_figures(client, manager.venue, day.year)
        assert figures[-1] == "1"  # themed event sessions


def test_a_program_untied_from_its_themed_day_leaves_the_events_page(client, manager):
    program = factories.program(manager.venue, themed_day_key="science_week", title_zh=TITLE)
    factories.slot(manager.venue, program_id=program.id)
    assert TITLE in client.get("/events").get_data(as_text=True)

    page = client.get(f"/manage/programs/{program.id}/edit").get_data(as_text=True)
    assert re.search(r'<option selected value="science_week">', page)

    response = client.post(f"/manage/programs/{program.id}/edit", data=program_form(themed_day_key=""),
                           follow_redirects=True)  # the "saved" message, naming the program, is read here
    assert response.status_code == 200
    assert saved_program().themed_day_key is None
    assert TITLE not in client.get("/events").get_data(as_text=True)


def test_the_themed_day_is_chosen_by_its_name_and_coming_dates_in_the_users_language(client, auth, manager):
    with time_machine.travel(datetime(2026, 4, 10, 9, tzinfo=LOCAL_TZ), tick=False):
        auth.logout()
        auth.login(manager.email)  # a session begun later than the day travelled to is not honoured
        english = client.get("/manage/programs/new?lang=en").get_data(as_text=True)
        chinese = client.get("/manage/programs/new?lang=zh").get_data(as_text=True)

    options = re.findall(r'<option[^>]*value="([^"]*)"[^>]*>([^<]*)</option>',
                         english.split('name="themed_day_key"', 1)[1].split("</select>", 1)[0])
    labels = dict(options)
    assert options[0] == ("", "Not tied to a themed day")
    assert labels["patriotic_health_month"] == "Patriotic Health Month (Apr 1, 2026 – Apr 30, 2026)"
    assert labels["china_water_week"] == "China Water Week (Mar 22, 2027 – Mar 28, 2027)"  # this year's is over
    assert labels["science_week"] == "Science and Technology Week (dates not announced yet)"
    keys = [key for key, _label in options]
    assert keys.index("patriotic_health_month") < keys.index("china_water_week") < keys.index("science_week")
    assert "爱国卫生月（2026年4月1日 – 2026年4月30日）" in chinese


@pytest.mark.parametrize("key", ["no_such_day", "x" * 60, "science_week'--"])
def test_an_unknown_themed_day_is_refused_next_to_its_field(client, manager, key):
    response = client.post("/manage/programs/new?lang=en", data=program_form(themed_day_key=key))

    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert 'id="themed_day_key-error"' in page and "Choose one of the themed days listed." in page
    assert saved_program() is None


def test_a_program_needs_no_themed_day(client, manager):
    response = client.post("/manage/programs/new", data=program_form(kind="lab_session", themed_day_key=""))
    assert response.status_code == 302
    assert saved_program().themed_day_key is None
