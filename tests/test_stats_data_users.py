"""The open statistics as an outside data user (a journalist, a researcher) reads them: only venues
that were ever on the register can be asked about, every figure is explained where it is shown, and
the district equity figures can be downloaded as they are on the page."""
from __future__ import annotations

import csv
import html
import io
import re

import pytest
from openpyxl import load_workbook

from app.stats.filters import school_year_start
from app.stats.opendata import DATASETS
from app.venues.models import VenueStatus
from tests import factories


@pytest.mark.parametrize("status", [VenueStatus.DRAFT, VenueStatus.SUBMITTED, VenueStatus.REJECTED])
def test_a_venue_never_on_the_register_is_unknown_to_the_statistics(client, app, status):
    hidden = factories.venue(status=status, name_zh="未公开的申请馆", name_en="Unpublished Applicant Hall")
    unknown = {"error": "invalid_parameter", "field": "venue", "message": f"Unknown venue {hidden.id}."}
    assert client.get(f"/api/v1/stats/summary?venue={hidden.id}&lang=en").get_json() == unknown
    assert client.get(f"/stats/data/months.json?venue={hidden.id}&lang=en").get_json() == unknown
    page = client.get(f"/stats?venue={hidden.id}&lang=en")
    assert page.status_code == 400
    text = page.get_data(as_text=True)
    assert "Unpublished Applicant Hall" not in text and "未公开的申请馆" not in text
    assert f"Unknown venue {hidden.id}." in text


def test_a_suspended_venue_keeps_its_published_figures(client, app):
    suspended = factories.venue(status=VenueStatus.SUSPENDED, name_en="Resting Hall")
    assert client.get(f"/api/v1/stats/summary?venue={suspended.id}").status_code == 200
    assert "Resting Hall" in client.get(f"/stats?venue={suspended.id}&lang=en").get_data(as_text=True)


# --- district equity as data -------------------------------------------------------------------------

def equity_period(scenario) -> str:
    return f"from={scenario['day_a'].isoformat()}&to={scenario['day_b'].isoformat()}"


def test_the_equity_figures_download_as_csv_one_row_per_district(client, scenario):
    response = client.get(f"/stats/equity.csv?{equity_period(scenario)}")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    raw = response.get_data()
    assert raw.startswith(b"\xef\xbb\xbf")  # Excel in Chinese reads it as UTF-8
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert [r["district"] for r in rows][-1] == "JBXQ" and len(rows) == 12
    xuanwu = next(r for r in rows if r["district"] == "320102")
    assert (xuanwu["name_zh"], xuanwu["name_en"], xuanwu["district_kind"]) == ("玄武区", "Xuanwu District", "district")
    assert (xuanwu["visits"], xuanwu["visits_per_10k"], xuanwu["venues"]) == ("59", str(round(59 / 57.52, 2)), "1")
    assert (xuanwu["free_open_hours"], xuanwu["school_groups"], xuanwu["students"]) == ("3.0", "2", "42")
    assert xuanwu["urban"] == "true" and xuanwu["population_10k"] == "57.52"
    assert (xuanwu["from"], xuanwu["through"]) == (scenario["day_a"].isoformat(), scenario["day_b"].isoformat())
    assert xuanwu["school_year_from"] == school_year_start(scenario["day_b"]).isoformat()
    assert next(r for r in rows if r["district"] == "JBXQ")["district_kind"] == "management_area"


def test_the_equity_json_carries_the_page_figures_totals_and_groups(client, scenario):
    body = client.get(f"/stats/equity.json?{equity_period(scenario)}&lang=en").get_json()
    assert (body["from"], body["through"]) == (scenario["day_a"].isoformat(), scenario["day_b"].isoformat())
    assert body["school_year_from"] == school_year_start(scenario["day_b"]).isoformat()
    assert len(body["districts"]) == 11 and [d["district"] for d in body["management_area"]] == ["JBXQ"]
    assert (body["total"]["visits"], body["total"]["districts"]) == (94, 11)
    assert {g["urban"]: g["visits"] for g in body["groups"]} == {True: 94, False: 0}
    assert {c["key"] for c in body["columns"]} >= {"visits", "visits_per_10k", "free_open_hours", "schools_visited"}
    assert all(c["description"] for c in body["columns"])


def test_the_equity_page_links_to_its_figures_for_the_same_period(client, scenario):
    page = client.get(f"/stats/equity?{equity_period(scenario)}&lang=en").get_data(as_text=True)
    for fmt in ("csv", "json"):
        [link] = re.findall(rf'href="(/stats/equity\.{fmt}\?[^"]+)"', page)
        assert f"from={scenario['day_a'].isoformat()}" in html.unescape(link)
        assert client.get(html.unescape(link)).status_code == 200


def test_a_bad_period_for_the_equity_data_is_a_json_400(client, app):
    response = client.get("/stats/equity.csv?from=2026-02-30&lang=en")
    assert response.status_code == 400
    assert response.get_json() == {"error": "invalid_parameter", "field": "from", "message": "2026-02-30 is not a date."}
    assert client.get("/stats/equity.xml").status_code == 404


# --- what the figures mean, where they are ------------------------------------------------------------

def meanings(page: str) -> dict[str, str]:
    """The page's "what the figures mean": each figure's label and its meaning."""
    section = page.split("figure-meanings", 1)[1].split("</details>", 1)[0]
    return {html.unescape(dt).strip(): html.unescape(dd).strip()
            for dt, dd in re.findall(r"<dt>([^<]+)</dt><dd>([^<]+)</dd>", section)}


def test_the_dashboard_says_what_each_of_its_figures_means(client, scenario):
    page = client.get("/stats?lang=en").get_data(as_text=True)
    found = meanings(page)
    assert {"Visits", "School groups", "Students", "Walk-ins", "Free-open hours", "Places offered", "Bookings",
            "Utilisation", "No-show rate"} <= set(found)
    assert "a person who comes twice counts twice" in found["Visits"]
    assert "whatever its size" in found["School groups"]
    notes = page.split("figure-meanings", 1)[1].split("</details>", 1)[0]
    assert "Beijing time (Asia/Shanghai)" in notes  # which day a visit counts on
    assert "open data files leave counts of 1 to 4 people empty" in notes  # why the files add up to less


def test_the_equity_page_says_what_each_of_its_figures_means(client, scenario):
    public = meanings(client.get("/stats/equity?lang=en").get_data(as_text=True))
    assert {"Visits", "Visits per 10,000 residents", "Approved venues", "Free-open hours",
            "Schools that visited"} <= set(public)
    assert "school year that began on 1 September" in public["Schools that visited"]
    assert "Places offered" not in public  # that column is for admins


def test_the_meanings_are_in_chinese_on_the_chinese_pages(client, scenario):
    found = meanings(client.get("/stats?lang=zh").get_data(as_text=True))
    assert "入馆人次" in found and all(re.search(r"[\u4e00-\u9fff]", text) for text in found.values())


# --- spreadsheets that explain themselves -----------------------------------------------------------

@pytest.mark.parametrize("name", [d.name for d in DATASETS])
def test_each_spreadsheet_explains_its_columns_in_chinese_and_english(client, scenario, name):
    dataset = next(d for d in DATASETS if d.name == name)
    book = load_workbook(io.BytesIO(client.get(f"/open-data/{name}.xlsx").get_data()), read_only=True)
    assert book.sheetnames[0] == name and book.active.title == name  # the data opens first, as before
    header, *rows = list(book[book.sheetnames[1]].iter_rows(values_only=True))
    assert header[:4] == ("column", "type", "说明", "description")
    described = {row[0]: row for row in rows if row and row[0] in dataset.header}
    assert list(described) == dataset.header
    visits = described.get("visits") or described[dataset.header[0]]
    assert visits[2] and visits[3]  # Chinese and English
    text = " ".join(str(cell) for row in rows for cell in row if cell)
    assert "CC BY 4.0" in text or "CC-BY-4.0" in text
    if dataset.suppression_zh:
        assert "1–4" in text
