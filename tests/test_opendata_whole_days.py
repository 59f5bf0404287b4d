"""/open-data/ publishes whole days only, states its update times in Beijing time, and its district ×
month figures are the summary API's for that district and month."""
from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta

from app.core.time import from_local, local_today, to_local
from app.extensions import db
from app.stats import rebuild
from app.stats.models import VenueDailyStats
from tests import factories
from tests.test_opendata_downloads import csv_rows, json_rows, xlsx_rows

FORMATS = (csv_rows, json_rows, xlsx_rows)


def _day(value) -> str:
    return str(value)[:10]  # a date cell of XLSX reads as a datetime


def _visits_yesterday_and_today(venue):
    yesterday = local_today() - timedelta(days=1)
    factories.admitted_visit(factories.slot(venue, day=yesterday, start=time(9), end=time(11)), party_size=5)
    factories.walk_in(venue, persons=7)  # now: today, whatever the hour
    return yesterday


def test_the_daily_file_leaves_out_today_until_the_day_is_over_in_every_format(client, app):
    venue = factories.venue(district_code=factories.XUANWU)
    yesterday = _visits_yesterday_and_today(venue)
    for rows in (read(client, "attendance-daily") for read in FORMATS):
        assert [(_day(r["date"]), int(r["visits"])) for r in rows] == [(yesterday.isoformat(), 5)]


def test_the_monthly_district_file_counts_the_same_whole_days(client, app):
    venue = factories.venue(district_code=factories.XUANWU)
    yesterday = _visits_yesterday_and_today(venue)
    for rows in (read(client, "attendance-monthly-district") for read in FORMATS):
        assert [(r["month"], r["district"], int(r["visits"])) for r in rows if int(r["visits"])] == [
            (yesterday.strftime("%Y-%m"), factories.XUANWU, 5)]


def test_themed_event_attendance_counts_the_same_whole_days(client, app):
    venue = factories.venue()
    event = factories.program(venue, themed_day_key="science_week")
    yesterday = local_today() - timedelta(days=1)
    factories.admitted_visit(factories.slot(venue, day=yesterday, start=time(9), end=time(11), program_id=event.id),
                             party_size=5)
    # Today's session from midnight: admitted at 00:05 today, however early the test runs.
    factories.admitted_visit(factories.slot(venue, day=local_today(), start=time(0), end=time(23, 59),
                                            program_id=event.id), party_size=4)
    [row] = json_rows(client, "themed-events")
    assert (row["sessions"], row["attendance"]) == (2, 5)


def test_update_times_are_stated_in_beijing_time(client, scenario):
    stored = db.session.query(db.func.max(VenueDailyStats.updated_at)).scalar()
    expected = to_local(stored).isoformat(timespec="seconds")
    assert expected.endswith("+08:00")
    body = client.get("/open-data/attendance-daily.json").get_json()
    assert body["updated"] == expected
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00", body["generated"])
    assert client.get("/open-data/datapackage.json").get_json()["created"] == expected
    page = client.get("/open-data/?lang=en").get_data(as_text=True)
    assert f'<time datetime="{expected}">' in page and "(Beijing time)" in page


def _previous_month() -> tuple[date, date]:
    last = local_today().replace(day=1) - timedelta(days=1)
    return last.replace(day=1), last


def test_a_district_month_of_the_file_matches_the_summary_api(client, app):
    first, last = _previous_month()
    xuanwu = [factories.venue(district_code=factories.XUANWU) for _ in range(2)]
    gulou = factories.venue(district_code=factories.GULOU)
    teacher = factories.user("teacher")
    for venue, day, party in ((xuanwu[0], first, 5), (xuanwu[1], last, 5), (gulou, first + timedelta(days=3), 3)):
        slot = factories.slot(venue, day=day, start=time(9), end=time(11), audience="mixed", capacity=100)
        factories.admitted_visit(slot, party_size=party)
        factories.walk_in(venue, persons=5, when=from_local(datetime.combine(day, time(10))))
    factories.admitted_visit(factories.slot(xuanwu[0], day=first + timedelta(days=1), start=time(9), end=time(11),
                                            audience="school", capacity=100),
                             teacher, students=30, adults=5, grade=4)
    rebuild.rebuild_all()
    db.session.commit()
    [row] = [r for r in json_rows(client, "attendance-monthly-district")
             if r["month"] == first.strftime("%Y-%m") and r["district"] == factories.XUANWU]
    api = client.get(f"/api/v1/stats/summary?from={first}&to={last}&district={factories.XUANWU}").get_json()
    assert row["suppressed"] is False
    assert (row["visits"], row["individual_visits"], row["school_groups"], row["school_students"],
            row["school_adults"], row["walk_ins"], row["free_visits"], row["event_visits"]) == (
        api["visits"], api["individual_visits"], api["school_groups"], api["students"],
        api["adults_with_groups"], api["walk_ins"], api["free_visits"], api["event_visits"])
    assert (api["visits"], row["venues"]) == (5 + 5 + 35 + 10, 2)
