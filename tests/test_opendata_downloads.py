"""/open-data/: every dataset as CSV (UTF-8 with BOM), JSON and XLSX, agreeing with the raw
check-ins, with small figures suppressed and nothing personal."""
from __future__ import annotations

import csv
import io
from datetime import date, time, timedelta

from openpyxl import load_workbook
from sqlalchemy import func, select

from app.accounts.models import User
from app.checkin.models import CheckIn, CheckInResult
from app.core.time import local_today
from app.districts.models import District
from app.extensions import db
from app.stats import rebuild
from app.stats.opendata import DATASETS, last_published_day
from app.stats.suppression import suppress
from tests import factories

NAMES = [d.name for d in DATASETS]


def csv_rows(client, name: str) -> list[dict]:
    response = client.get(f"/open-data/{name}.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    raw = response.get_data()
    assert raw.startswith(b"\xef\xbb\xbf")  # the BOM: Excel in Chinese reads it as UTF-8
    return list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))


def json_rows(client, name: str) -> list[dict]:
    response = client.get(f"/open-data/{name}.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    body = response.get_json()
    assert body["license"]["name"] == "CC-BY-4.0"
    return body["rows"]


def xlsx_rows(client, name: str) -> list[dict]:
    response = client.get(f"/open-data/{name}.xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.get_data()), read_only=True).active
    header, *rows = list(sheet.iter_rows(values_only=True))
    return [dict(zip(header, row)) for row in rows]


def raw_visits() -> int:
    return db.session.scalar(select(func.sum(CheckIn.persons)).where(CheckIn.result == CheckInResult.OK))


def test_daily_attendance_agrees_with_the_raw_check_ins_in_every_format(client, scenario):
    for rows in (csv_rows(client, "attendance-daily"), json_rows(client, "attendance-daily"),
                 xlsx_rows(client, "attendance-daily")):
        assert sum(int(r["visits"]) for r in rows) == raw_visits() == 94
        by_venue = {int(r["venue_id"]): r for r in rows}
        assert str(by_venue[scenario["a"].id]["date"])[:10] == scenario["day_a"].isoformat()
        assert by_venue[scenario["a"].id]["venue"] == scenario["a"].name_zh
        assert by_venue[scenario["b"].id]["district"] == "320106"
        assert int(by_venue[scenario["a"].id]["school_students"]) == 42


def test_the_daily_dataset_has_the_columns_product_md_promises(client, scenario):
    rows = csv_rows(client, "attendance-daily")
    assert list(rows[0])[:5] == ["date", "venue_id", "venue", "venue_en", "district"]
    assert {"visits", "individual_visits", "school_students", "school_adults", "walk_ins", "suppressed"} <= set(rows[0])


def test_monthly_district_attendance_agrees_with_the_daily_rows(client, scenario):
    for rows in (csv_rows(client, "attendance-monthly-district"), json_rows(client, "attendance-monthly-district"),
                 xlsx_rows(client, "attendance-monthly-district")):
        assert {r["district"]: int(r["visits"]) for r in rows if int(r["visits"])} == {"320102": 59, "320106": 35}


def test_every_district_has_a_row_every_month_zeros_included(client, scenario):
    districts = {code for (code,) in db.session.execute(db.select(District.code))}
    venue = factories.venue(district_code=factories.JIANGNING)
    factories.admitted_visit(factories.slot(venue, day=local_today() - timedelta(days=70), start=time(9),
                                            end=time(11)), party_size=5)
    rebuild.rebuild_all()
    db.session.commit()
    for rows in (csv_rows(client, "attendance-monthly-district"), json_rows(client, "attendance-monthly-district")):
        months = sorted({r["month"] for r in rows})
        # From the first month with visits to the last published, none left out, even one with no visits.
        assert len(months) == len({(day.year, day.month) for day in _days(months[0], last_published_day())})
        assert {(r["month"], r["district"]) for r in rows} == {(m, d) for m in months for d in districts}
        quiet = [r for r in rows if r["district"] == min(districts - {factories.XUANWU, factories.GULOU,
                                                                       factories.JIANGNING})]
        assert quiet and all(int(r["visits"]) == 0 and int(r["venues"]) == 0 and str(r["suppressed"]).lower() == "false"
                   for r in quiet)


def _days(first_month: str, last: date):
    day = date(int(first_month[:4]), int(first_month[5:]), 1)
    while day <= last:
        yield day
        day += timedelta(days=1)


def test_a_day_with_fewer_than_five_visitors_is_published_empty_and_flagged(client, app):
    venue = factories.venue(district_code=factories.JIANGNING)
    slot = factories.slot(venue, days_ahead=-2, start=time(9), end=time(11))
    factories.admitted_visit(slot, party_size=3)
    rebuild.rebuild_all()
    db.session.commit()
    [daily] = csv_rows(client, "attendance-daily")
    assert (daily["visits"], daily["individual_visits"], daily["suppressed"]) == ("", "", "true")
    assert daily["school_groups"] == "0" and daily["walk_ins"] == "0"
    [row] = json_rows(client, "attendance-daily")
    assert row["visits"] is None and row["suppressed"] is True
    [monthly] = [r for r in csv_rows(client, "attendance-monthly-district")
                 if r["district"] == factories.JIANGNING and r["month"] == f"{slot.local_date:%Y-%m}"]
    assert (monthly["visits"], monthly["suppressed"]) == ("", "true")


def test_a_single_small_cell_is_hidden_together_with_another_of_its_sum():
    values = {"visits": 40, "individual_visits": 30, "school_students": 0, "school_adults": 0, "walk_ins": 10,
              "walk_in_youth": 7, "walk_in_adults": 0, "walk_in_seniors": 3, "free_visits": 40, "event_visits": 0}
    assert suppress(values) is True
    assert values["walk_in_seniors"] is None and values["walk_in_youth"] is None  # else 10 - 7 = 3
    assert values["visits"] == 40 and values["walk_ins"] == 10


def test_a_hidden_part_of_the_visits_hides_a_second_part():
    values = {"visits": 50, "individual_visits": 3, "school_students": 0, "school_adults": 0, "walk_ins": 47,
              "walk_in_youth": 20, "walk_in_adults": 27, "walk_in_seniors": 0, "free_visits": 50, "event_visits": 0}
    suppress(values)
    assert values["individual_visits"] is None and values["walk_ins"] is None
    assert values["walk_in_youth"] is None  # 47 would be 20 + 27 again


def test_figures_of_five_and_more_are_published(client, scenario):
    rows = {int(r["venue_id"]): r for r in csv_rows(client, "attendance-daily")}
    assert rows[scenario["b"].id]["visits"] == "35" and rows[scenario["b"].id]["school_students"] == "24"


def test_the_venue_registry_leaves_out_venues_never_approved(client, scenario):
    factories.venue(status="draft", name_zh="未公开的草稿馆")
    rows = csv_rows(client, "venues")
    assert {int(r["venue_id"]) for r in rows} == {scenario["a"].id, scenario["b"].id}
    assert {r["status"] for r in rows} == {"approved"}
    assert rows[0]["themes"] in ("astronomy", "geology")


def test_themed_events_list_their_sessions_and_attendance(client, app):
    from app.scheduling.models import Program

    venue = factories.venue()
    event = factories.program(venue, themed_day_key="science_week", title_zh="科技周实验秀")
    slot = factories.slot(venue, days_ahead=-3, start=time(9), end=time(11), program_id=event.id)
    for size in (4, 3):
        factories.admitted_visit(slot, party_size=size)
    [row] = json_rows(client, "themed-events")
    assert (row["event_id"], row["title_zh"], row["sessions"], row["attendance"]) == (event.id, "科技周实验秀", 1, 7)
    assert db.session.get(Program, event.id) is not None


def test_nothing_personal_is_published(client, scenario):
    people = db.session.execute(select(User.email, User.name, User.phone)).all()
    for name in NAMES:
        for fmt in ("csv", "json"):
            text = client.get(f"/open-data/{name}.{fmt}").get_data(as_text=True)
            for email, person, phone in people:
                assert email not in text and person not in text and (not phone or phone not in text)


def test_every_dataset_downloads_in_every_format_when_empty(client, app):
    for name in NAMES:
        assert csv_rows(client, name) == []
        assert json_rows(client, name) == []
        assert xlsx_rows(client, name) == []


def test_the_index_lists_each_dataset_with_its_dictionary_licence_and_update_time(client, scenario):
    page = client.get("/open-data/?lang=en").get_data(as_text=True)
    for dataset in DATASETS:
        section = page.split(f'id="{dataset.name}"', 1)[1].split("</section>", 1)[0]
        assert f"/open-data/{dataset.name}.csv" in section and f"/open-data/{dataset.name}.xlsx" in section
        assert "Data dictionary" in section and "CC BY 4.0" in section and "Updated" in section
        for field in dataset.fields:
            assert f"<code>{field.name}</code>" in section
    assert "/open-data/datapackage.json" in page


def test_unknown_datasets_and_formats_are_404(client, app):
    assert client.get("/open-data/passwords.csv").status_code == 404
    assert client.get("/open-data/attendance-daily.exe").status_code == 404


def test_a_large_export_streams(client, app):
    venue = factories.venue()
    start = local_today() - timedelta(days=60)
    rows = [dict(venue_id=venue.id, day=start + timedelta(days=n), visits=10 + n, individual_visits=10 + n)
            for n in range(60)]
    from app.stats.models import VenueDailyStats

    db.session.execute(VenueDailyStats.__table__.insert(), rows)
    db.session.commit()
    response = client.get("/open-data/attendance-daily.csv")
    assert response.is_streamed
    assert len(response.get_data(as_text=True).splitlines()) == 61
