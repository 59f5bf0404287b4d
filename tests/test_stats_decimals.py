"""Fractional figures on /stats and /stats/equity are written with the same decimals in every row, in both
languages: visits per 10,000 residents with two ("100.00" beside "33.25"), free-open hours with one
("3.0" beside "1.5")."""
from __future__ import annotations

import re
from datetime import time

import pytest

from app.core.time import local_today
from app.extensions import db
from app.stats.models import VenueDailyStats
from tests import factories

PER_10K = re.compile(r"^\d{1,3}(,\d{3})*\.\d\d$")
HOURS = re.compile(r"^\d{1,3}(,\d{3})*\.\d$")


@pytest.fixture
def figures(app):
    """Xuanwu (57.52 × 10,000 residents) 5,752 visits: 100 per 10,000; Gulou (106.64) 3,546: 33.25. Today
    Xuanwu's venue opened free for three hours, Gulou's for an hour and a half."""
    xuanwu, gulou = factories.venue(district_code=factories.XUANWU), factories.venue(district_code=factories.GULOU)
    for venue, visits, end in ((xuanwu, 5752, time(12)), (gulou, 3546, time(10, 30))):
        factories.slot(venue, day=local_today(), start=time(9), end=end)
        db.session.execute(VenueDailyStats.__table__.insert(), [
            {"venue_id": venue.id, "day": local_today(), "visits": visits, "individual_visits": visits}])
    db.session.commit()
    return {"xuanwu": xuanwu, "gulou": gulou}


def table_rows(section: str) -> dict[str, list[str]]:
    """A table's rows by their heading: the text of each cell."""
    rows = {}
    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", section, re.S):
        heading = re.search(r'<th scope="row">(.*?)</th>', row, re.S)
        if heading:
            name = re.sub(r"<[^>]+>", "", heading.group(1).split("<span", 1)[0]).strip()  # without its badges
            rows[name] = [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", cell)).strip()
                          for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
    return rows


def chart_table(page: str, key: str) -> str:
    return page.split(f'aria-labelledby="{key}-heading"', 1)[1].split("</table>", 1)[0]


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_dashboard_writes_visits_per_10000_residents_with_two_decimals(client, figures, lang):
    page = client.get(f"/stats?lang={lang}").get_data(as_text=True)
    rows = table_rows(chart_table(page, "districts"))
    per_10k = {name: cells[1] for name, cells in rows.items()}  # visits, per 10,000, venues
    assert len(per_10k) == 12 and all(PER_10K.match(v) for v in per_10k.values()), per_10k
    xuanwu, gulou = ("Xuanwu District", "Gulou District") if lang == "en" else ("玄武区", "鼓楼区")
    assert (per_10k[xuanwu], per_10k[gulou]) == ("100.00", "33.25")


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_dashboard_writes_free_open_hours_with_one_decimal(client, figures, lang):
    page = client.get(f"/stats?lang={lang}").get_data(as_text=True)
    rows = table_rows(chart_table(page, "open_days"))
    hours = {name: cells[1] for name, cells in rows.items()}  # open days, hours, places
    assert sorted(hours.values()) == ["1.5", "3.0"]


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_equity_page_writes_each_column_with_its_decimals(client, figures, lang):
    page = client.get(f"/stats/equity?lang={lang}").get_data(as_text=True)
    districts = page.split('id="districts-caption"', 1)[1].split("</table>", 1)[0]
    rows = table_rows(districts)
    assert len(rows) == 13  # 11 districts, Jiangbei New Area, the total
    for name, cells in rows.items():
        residents, per_10k, hours = cells[0], cells[3], cells[5]
        assert PER_10K.match(residents) and PER_10K.match(per_10k) and HOURS.match(hours), (name, cells)
    xuanwu, gulou = ("Xuanwu District", "Gulou District") if lang == "en" else ("玄武区", "鼓楼区")
    assert (rows[xuanwu][3], rows[xuanwu][5]) == ("100.00", "3.0")
    assert (rows[gulou][3], rows[gulou][5]) == ("33.25", "1.5")
    assert rows[xuanwu][1].startswith("100.00% · ")  # urbanisation, as the Bureau gives it
    groups = table_rows(page.split('id="urban-heading"', 1)[1].split("</table>", 1)[0])
    for name, cells in groups.items():
        assert all(PER_10K.match(c) for c in cells[:3]) and HOURS.match(cells[3]), (name, cells)


def test_the_dashboards_bars_write_their_figures_as_its_tables_do(client, figures):
    page = client.get("/stats?lang=en").get_data(as_text=True)
    chart = page.split('aria-labelledby="districts-heading"', 1)[1].split("<table", 1)[0]
    labels = re.findall(r"<text[^>]*>([^<]*)</text>", chart)
    assert "100.00" in labels and "33.25" in labels and "100" not in labels
