"""The themed-events dataset publishes an event's attendance once the day of its first session is
over (attendance counts whole days): before that it is empty, not a 0 that reads as "nobody came",
and not flagged as withheld. The datapackage still validates."""
from __future__ import annotations

import json
from datetime import datetime, time, timedelta
from urllib.parse import urlsplit

import pytest
import time_machine

from app.core.time import LOCAL_TZ
from tests import factories
from tests.test_opendata_downloads import csv_rows, json_rows, xlsx_rows

NOW = datetime(2026, 9, 20, 12, 0, tzinfo=LOCAL_TZ)  # a Sunday noon of Science and Technology Week


@pytest.fixture
def at_noon(app):
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def themed_event(days_ahead: int, start: time = time(9), end: time = time(11)):
    venue = factories.venue()
    event = factories.program(venue, themed_day_key="science_week")
    return event, factories.slot(venue, days_ahead=days_ahead, start=start, end=end, program_id=event.id)


def test_an_event_still_to_come_publishes_empty_attendance_in_every_format(client, at_noon):
    themed_event(days_ahead=5)
    [row] = csv_rows(client, "themed-events")
    assert (row["sessions"], row["attendance"], row["suppressed"]) == ("1", "", "false")
    for read in (json_rows, xlsx_rows):
        [row] = read(client, "themed-events")
        assert (row["sessions"], row["attendance"], row["suppressed"]) == (1, None, False)


def test_an_event_held_today_publishes_its_attendance_the_day_after(client, at_noon):
    _event, session = themed_event(days_ahead=0)  # this morning
    factories.admitted_visit(session, party_size=5)
    factories.admitted_visit(session, party_size=3)
    [row] = json_rows(client, "themed-events")
    assert (row["attendance"], row["suppressed"]) == (None, False)
    at_noon.shift(timedelta(days=1))
    [row] = json_rows(client, "themed-events")
    assert (row["attendance"], row["suppressed"]) == (8, False)


def test_an_event_held_yesterday_that_nobody_came_to_publishes_zero(client, at_noon):
    themed_event(days_ahead=-1)
    [row] = csv_rows(client, "themed-events")
    assert (row["attendance"], row["suppressed"]) == ("0", "false")


def test_an_event_begun_and_still_running_publishes_its_attendance_so_far(client, at_noon):
    event, yesterday = themed_event(days_ahead=-1)
    factories.slot(yesterday.venue, days_ahead=3, program_id=event.id)
    for size in (3, 3):
        factories.admitted_visit(yesterday, party_size=size)
    [row] = json_rows(client, "themed-events")
    assert (row["sessions"], row["attendance"]) == (2, 6)


def test_the_dictionary_says_attendance_is_empty_until_the_first_sessions_day_is_over(client, app):
    package = client.get("/open-data/datapackage.json").get_json()
    [events] = [r for r in package["resources"] if r["name"] == "themed-events"]
    attendance = next(f for f in events["schema"]["fields"] if f["name"] == "attendance")
    assert "empty until the day of the first session is over" in attendance["description"]
    assert "" in events["schema"]["missingValues"] and "attendance" not in events["schema"]["primaryKey"]


def test_frictionless_validates_the_themed_events_with_an_event_still_to_come(client, at_noon, tmp_path):
    frictionless = pytest.importorskip("frictionless")
    themed_event(days_ahead=5)
    _event, held = themed_event(days_ahead=-2)
    for size in (4, 3):
        factories.admitted_visit(held, party_size=size)
    package = client.get("/open-data/datapackage.json").get_json()
    for resource in package["resources"]:
        target = tmp_path / f"{resource['name']}.csv"
        target.write_bytes(client.get(urlsplit(resource["path"]).path).get_data())
        resource["path"] = target.name
    descriptor = tmp_path / "datapackage.json"
    descriptor.write_text(json.dumps(package, ensure_ascii=False), encoding="utf-8")
    report = frictionless.validate(str(descriptor))
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])
    assert {r["attendance"] for r in csv_rows(client, "themed-events")} == {"", "7"}
