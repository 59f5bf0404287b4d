"""A venue that moves to another district: its figures count for the district it was registered in on
the first day of each month (统计口径：以当月1日场馆登记所在区为准). Published district figures of past
months never change; the new district counts the venue from the month after the move."""
from __future__ import annotations

import csv
import io
import re
from datetime import date, datetime, time

import pytest
import time_machine

from app.core.time import LOCAL_TZ, from_local
from app.extensions import db
from app.stats import rebuild
from app.venues.models import VenueStatus, VenueStatusChange
from tests import factories
from tests.factories import GULOU, JIANGNING, XUANWU

MOVED_ON = datetime(2026, 5, 20, 10, 0, tzinfo=LOCAL_TZ)  # counts for Jiangning from 1 June
PAST = {"from": "2026-01-01", "to": "2026-05-19"}
# Walk-ins of the moving venue while it was in Xuanwu: (day, persons).
XUANWU_VISITS = ((date(2025, 11, 10), 5), (date(2026, 2, 10), 7), (date(2026, 3, 10), 9), (date(2026, 4, 10), 11))


def _visit(venue, day: date, persons: int):
    """A walk-in party of ``persons`` counted at the gate at 10:00 on ``day``."""
    factories.walk_in(venue, persons=persons, when=from_local(datetime.combine(day, time(10))))


def summary(client, district: str, **period) -> dict:
    return client.get("/api/v1/stats/summary", query_string={**PAST, **period, "district": district}).get_json()


def district_table(client, **period) -> dict:
    rows = client.get("/stats/data/districts.json", query_string={**PAST, **period}).get_json()["rows"]
    return {r["district"]: r["visits"] for r in rows}


def csv_rows(client, name: str) -> list[dict]:
    raw = client.get(f"/open-data/{name}.csv").get_data()
    return list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))


def monthly(client) -> dict:
    return {(r["month"], r["district"]): r["visits"] for r in csv_rows(client, "attendance-monthly-district")}


def daily(client, venue_id: int) -> dict:
    return {r["date"]: (r["district"], r["visits"]) for r in csv_rows(client, "attendance-daily")
            if int(r["venue_id"]) == venue_id}


def equity_visits(client, district_name: str, **period) -> str:
    page = client.get("/stats/equity", query_string={**PAST, **period, "lang": "zh"}).get_data(as_text=True)
    row = re.search(rf'<th scope="row">{district_name}.*?</tr>', page, re.S).group(0)
    return re.findall(r'<td class="num">([^<]*)</td>', row)[2]  # residents, urban, visits


def move(client, auth, manager, venue, district: str, confirm: bool = True):
    auth.login(manager.email)
    data = factories.venue_form_data(name_zh=venue.name_zh, district_code=district)
    if confirm:
        data["confirm_move"] = district
    assert client.post("/manage/venue", data=data).status_code == 302
    auth.logout()


def approve(client, auth, venue_id: int, district: str):
    auth.login(factories.user("district_admin", district_code=district).email)
    assert client.post(f"/admin/venues/{venue_id}/approve").status_code == 302
    auth.logout()


@pytest.fixture
def city(app, client, auth):
    """A Xuanwu venue with visits since November 2025 and a Jiangning venue, rolled up as the nightly
    job leaves them; the figures as published; then, on 20 May 2026, the first venue moves to Jiangning
    through its manager's form."""
    with time_machine.travel(MOVED_ON, tick=True):
        moving = factories.venue(district_code=XUANWU, name_zh="迁址统计馆", name_en="Moving Stats Hall")
        moving.status_changes.append(VenueStatusChange(  # on the register since January 2025
            from_status=VenueStatus.SUBMITTED, to_status=VenueStatus.APPROVED,
            created_at=from_local(datetime(2025, 1, 6))))
        staying = factories.venue(district_code=JIANGNING, name_zh="江宁统计馆")
        event = factories.program(moving, themed_day_key="science_week")
        for day, persons in XUANWU_VISITS:
            factories.slot(moving, day=day, program_id=event.id)  # a free-open day: a session of its event
            _visit(moving, day, persons)
        _visit(staying, date(2026, 3, 12), 6)
        rebuild.rebuild_all()
        db.session.commit()
        before = {"xuanwu": summary(client, XUANWU), "jiangning": summary(client, JIANGNING),
                  "table": district_table(client), "monthly": monthly(client), "daily": daily(client, moving.id),
                  "equity": (equity_visits(client, "玄武区"), equity_visits(client, "江宁区"))}
        manager = factories.user("venue_manager", venue=moving)
        move(client, auth, manager, moving, JIANGNING)
        yield {"moving": moving, "staying": staying, "manager": manager, "before": before}


def test_the_past_months_still_count_for_the_old_district_in_the_api(client, city):
    xuanwu, jiangning = summary(client, XUANWU), summary(client, JIANGNING)
    assert (xuanwu["visits"], xuanwu["open_days"]) == (7 + 9 + 11, 3)
    assert jiangning["visits"] == 6
    assert xuanwu == city["before"]["xuanwu"] and jiangning == city["before"]["jiangning"]


def test_the_dashboards_district_table_and_equity_keep_the_past(client, city):
    assert district_table(client) == city["before"]["table"]
    assert district_table(client)[XUANWU] == 27
    assert (equity_visits(client, "玄武区"), equity_visits(client, "江宁区")) == city["before"]["equity"] == ("27", "6")
    for page in ("/stats?lang=zh", "/stats/equity?lang=zh"):  # the rule is stated where the figures are
        assert "以当月1日场馆登记所在区为准" in client.get(page).get_data(as_text=True)


def test_published_open_data_of_past_months_does_not_change(client, city):
    assert monthly(client) == city["before"]["monthly"]
    assert monthly(client)[("2026-04", XUANWU)] == "11"
    assert monthly(client)[("2026-04", JIANGNING)] == "0"
    assert daily(client, city["moving"].id) == city["before"]["daily"]
    assert {district for district, _ in daily(client, city["moving"].id).values()} == {XUANWU}
    [event] = csv_rows(client, "themed-events")
    assert event["district"] == XUANWU  # its first session was there


def test_visits_count_for_the_new_district_from_the_month_after_the_move(client, auth, city):
    moving = city["moving"]
    with time_machine.travel(MOVED_ON, tick=True):
        approve(client, auth, moving.id, JIANGNING)
        _visit(moving, date(2026, 5, 20), 8)  # the month of the move: still Xuanwu's
    with time_machine.travel(datetime(2026, 6, 20, 10, tzinfo=LOCAL_TZ), tick=True):
        _visit(moving, date(2026, 6, 10), 12)
        june = {"from": "2026-06-01", "to": "2026-06-19"}
        may = {"from": "2026-05-01", "to": "2026-05-31"}
        assert (summary(client, XUANWU, **may)["visits"], summary(client, JIANGNING, **may)["visits"]) == (8, 0)
        assert (summary(client, XUANWU, **june)["visits"], summary(client, JIANGNING, **june)["visits"]) == (0, 12)
        assert district_table(client, **june)[JIANGNING] == 12
        published = monthly(client)
        assert (published[("2026-05", XUANWU)], published[("2026-06", JIANGNING)]) == ("8", "12")
        assert daily(client, moving.id)["2026-06-10"] == (JIANGNING, "12")
        assert daily(client, moving.id)["2026-05-20"] == (XUANWU, "8")


def test_a_second_move_keeps_each_month_with_its_own_district(client, auth, city):
    moving = city["moving"]
    with time_machine.travel(MOVED_ON, tick=True):
        approve(client, auth, moving.id, JIANGNING)
    with time_machine.travel(datetime(2026, 6, 20, 10, tzinfo=LOCAL_TZ), tick=True):
        _visit(moving, date(2026, 6, 10), 12)
        move(client, auth, city["manager"], moving, GULOU)  # counts for Gulou from 1 July
        approve(client, auth, moving.id, GULOU)
    with time_machine.travel(datetime(2026, 7, 20, 10, tzinfo=LOCAL_TZ), tick=True):
        _visit(moving, date(2026, 7, 10), 13)
        year = {"from": "2026-01-01", "to": "2026-07-19"}
        assert summary(client, XUANWU, **year)["visits"] == 27
        assert summary(client, JIANGNING, **year)["visits"] == 6 + 12
        assert summary(client, GULOU, **year)["visits"] == 13


def test_a_move_and_a_move_back_in_the_same_month_leave_no_trace(client, auth, city):
    from app.venues.models import VenueDistrictPeriod

    moving = city["moving"]
    with time_machine.travel(MOVED_ON, tick=True):
        move(client, auth, city["manager"], moving, XUANWU, confirm=False)  # in review: moves at once
        assert db.session.query(VenueDistrictPeriod).count() == 0
        approve(client, auth, moving.id, XUANWU)
    with time_machine.travel(datetime(2026, 6, 20, 10, tzinfo=LOCAL_TZ), tick=True):
        _visit(moving, date(2026, 6, 10), 12)
        june = {"from": "2026-06-01", "to": "2026-06-19"}
        assert (summary(client, XUANWU, **june)["visits"], summary(client, JIANGNING, **june)["visits"]) == (12, 0)


def test_two_moves_in_one_month_count_the_month_for_the_district_it_began_in(client, auth, city):
    from app.venues.models import VenueDistrictPeriod

    with time_machine.travel(MOVED_ON, tick=True):
        move(client, auth, city["manager"], city["moving"], GULOU, confirm=False)
        [period] = db.session.query(VenueDistrictPeriod).all()
        assert (period.district_code, period.until_day) == (XUANWU, date(2026, 6, 1))


def test_the_old_district_keeps_reviewing_the_years_the_venue_was_theirs(client, auth, city):
    moving = city["moving"]
    with time_machine.travel(MOVED_ON, tick=True):
        xuanwu, jiangning = (factories.user("district_admin", district_code=code) for code in (XUANWU, JIANGNING))
        auth.login(xuanwu.email)
        assert client.get(f"/admin/reports/{moving.id}/2025").status_code == 200
        assert client.get(f"/admin/reports/{moving.id}/2025.xlsx").status_code == 200
        assert "迁址统计馆" in client.get("/admin/reports?year=2025").get_data(as_text=True)
        assert client.get(f"/admin/reports/{moving.id}/2026").status_code == 403
        assert "迁址统计馆" not in client.get("/admin/reports?year=2026").get_data(as_text=True)
        auth.logout()
        auth.login(jiangning.email)
        assert client.get(f"/admin/reports/{moving.id}/2025").status_code == 403
        assert "迁址统计馆" not in client.get("/admin/reports?year=2025").get_data(as_text=True)
        assert client.get(f"/admin/reports/{moving.id}/2026").status_code == 200
        assert "迁址统计馆" in client.get("/admin/reports?year=2026").get_data(as_text=True)


def test_a_rebuild_gives_the_same_figures(app, client, auth, city):
    moving = city["moving"]
    with time_machine.travel(MOVED_ON, tick=True):
        approve(client, auth, moving.id, JIANGNING)
    with time_machine.travel(datetime(2026, 6, 20, 10, tzinfo=LOCAL_TZ), tick=True):
        _visit(moving, date(2026, 6, 10), 12)
        rebuild.rebuild_all()
        db.session.commit()
        year = {"from": "2026-01-01", "to": "2026-06-19"}
        figures = (summary(client, XUANWU, **year), summary(client, JIANGNING, **year), monthly(client),
                   district_table(client, **year))
        assert (figures[0]["visits"], figures[1]["visits"]) == (27, 18)
        result = app.test_cli_runner().invoke(args=["stats", "rebuild"])
        assert result.exit_code == 0, result.output
        assert (summary(client, XUANWU, **year), summary(client, JIANGNING, **year), monthly(client),
                district_table(client, **year)) == figures
