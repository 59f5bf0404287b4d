"""/stats: the public dashboard, its charts, tables and data links, and bad input on every stats URL."""
from __future__ import annotations

import csv
import html
import io
import re

import pytest
from babel.dates import format_date

from app.core.time import local_today
from tests import factories


def period(scenario) -> str:
    return f"from={scenario['day_a'].isoformat()}&to={scenario['day_b'].isoformat()}"


def glance(page: str) -> dict:
    """The at-a-glance figures, by their label."""
    section = page.split('id="glance-heading"', 1)[1].split("</ul>", 1)[0]
    return {label.strip(): figure for figure, label in re.findall(r"<strong>([\d,]+)</strong>\s*([^<]+)</li>", section)}


def test_anyone_sees_the_dashboard_without_logging_in(client, scenario):
    response = client.get("/stats")
    assert response.status_code == 200
    assert "<h1>" in response.get_data(as_text=True)


def test_the_glance_figures_agree_with_the_raw_check_ins(client, scenario):
    page = client.get(f"/stats?{period(scenario)}&lang=en").get_data(as_text=True)
    assert glance(page) == {"visits": "94", "school groups": "3", "students": "66", "venues that opened": "2",
                            "free-open day": "1"}


def test_every_chart_is_an_svg_with_a_table_and_links_to_its_data(client, scenario):
    page = client.get(f"/stats?{period(scenario)}").get_data(as_text=True)
    sections = page.split('class="panel chart-panel"')[1:]
    assert len(sections) == 8
    for section in sections:
        assert '<svg class="chart' in section and 'role="img"' in section and "<desc" in section
        assert "<details" in section and '<th scope="col"' in section
        assert "/stats/data/" in section and ".csv?" in section and ".json?" in section


def test_every_chart_data_link_on_the_dashboard_downloads(client, scenario):
    page = client.get(f"/stats?{period(scenario)}").get_data(as_text=True)
    links = set(re.findall(r'href="(/stats/data/[^"]+)"', page))
    assert len(links) == 16  # CSV and JSON for each of the eight charts
    for link in links:
        assert client.get(html.unescape(link)).status_code == 200, link


def test_the_data_behind_a_chart_agrees_with_the_dashboard(client, scenario):
    months = client.get(f"/stats/data/months.json?{period(scenario)}").get_json()
    assert sum(r["visits"] for r in months["rows"]) == 94
    text = client.get(f"/stats/data/districts.csv?{period(scenario)}").get_data(as_text=True)
    assert text.startswith("\ufeff")
    rows = {r["district"]: r for r in csv.DictReader(io.StringIO(text.lstrip("\ufeff")))}
    assert (rows["320102"]["visits"], rows["320106"]["visits"], rows["320118"]["visits"]) == ("59", "35", "0")
    assert rows["320102"]["per_10k"] == str(round(59 / 57.52, 2))
    bands = client.get(f"/stats/data/grade_bands.json?{period(scenario)}").get_json()["rows"]
    assert {r["band"]: r["students"] for r in bands} == {"k": 12, "g1_3": 0, "g4_6": 30, "g7_9": 24, "g10_12": 0}


def test_jiangbei_new_area_is_listed_apart_after_the_districts(client, scenario):
    rows = client.get(f"/stats/data/districts.json?{period(scenario)}").get_json()["rows"]
    assert len(rows) == 12
    assert rows[-1]["district"] == "JBXQ" and rows[-1]["management_area"] is True
    assert not any(r["management_area"] for r in rows[:-1])


def test_the_filters_narrow_every_figure(client, scenario):
    page = client.get(f"/stats?{period(scenario)}&district=320106&lang=en").get_data(as_text=True)
    assert glance(page)["visits"] == "35"
    page = client.get(f"/stats?{period(scenario)}&theme=astronomy&lang=en").get_data(as_text=True)
    assert glance(page)["visits"] == "59"
    page = client.get(f"/stats?{period(scenario)}&type=university_museum&lang=en").get_data(as_text=True)
    assert glance(page)["school group"] == "1"


def test_the_filter_form_is_a_get_form_with_labelled_fields(client, scenario):
    page = client.get("/stats").get_data(as_text=True)
    form = page.split('class="panel stats-filters"', 1)[1].split("</form>", 1)[0]
    for name in ("from", "to", "district", "type", "theme"):
        assert f'name="{name}"' in form
    assert 'for="from"' in form
    assert 'method="get"' in page.split('class="panel stats-filters"', 1)[0][-200:]


def test_a_bad_filter_is_shown_next_to_its_field_with_a_400(client, app):
    response = client.get("/stats?from=2026-05-01&to=2026-01-01&lang=en")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert 'id="to-error"' in page and "before its start" in page


def test_a_venues_public_page_shows_its_own_figures(client, scenario):
    page = client.get(f"/venues/{scenario['a'].id}?lang=en").get_data(as_text=True)
    this_year = local_today().year
    assert f"Visits in {this_year}" in page
    assert f"<strong>{59 if scenario['day_a'].year == this_year else 0}</strong> visits" in page


def test_an_unpublished_venue_shows_no_figures(client, auth):
    manager = factories.user("venue_manager", venue=factories.venue(status="draft"))
    auth.login(manager.email)
    page = client.get(f"/venues/{manager.venue_id}?lang=en").get_data(as_text=True)
    assert "This page is not public" in page and "venue-figures" not in page



def _text_of(html: str) -> str:
    """What a reader sees of ``html``: its attributes (hrefs, datetimes, input values) left out."""
    return re.sub(r'\s[a-z-]+="[^"]*"', "", html)


@pytest.mark.parametrize("mode", ["standard", "elder"])
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_dashboard_writes_the_days_of_its_period_in_full(client, scenario, lang, mode):
    first, last = scenario["day_a"], scenario["day_b"]
    page = client.get(f"/stats?{period(scenario)}&lang={lang}&mode={mode}").get_data(as_text=True)

    heading = page.split('id="glance-heading">', 1)[1].split("</h2>", 1)[0]
    summary = page.split('class="glance"', 1)[1].split("</section>", 1)[0]
    for day, where in ((first, heading), (last, heading), (last, summary)):
        assert f'<time datetime="{day.isoformat()}">{format_date(day, "full", locale=lang)}</time>' in where
    main = _text_of(page.split("<main", 1)[1])
    assert first.isoformat() not in main and last.isoformat() not in main  # ISO stays in attributes and inputs
    assert f'value="{first.isoformat()}"' in page


def test_the_date_fields_hint_keeps_its_example_date_in_one_piece(client, app):
    page = client.get("/stats?lang=zh").get_data(as_text=True)
    for name in ("from", "to"):
        hint = page.split(f'id="{name}-hint">', 1)[1].split("</p>", 1)[0]
        assert hint == '格式：年-月-日，例如 <span class="date-example">2026-05-01</span>'


BAD_URLS = [
    "/stats?from=2026-02-31", "/stats?district=../../etc", "/stats?venue=1e9", "/stats?type=%00",
    "/stats?from=2000-01-01&to=2099-01-01", "/stats?to=0000-00-00", "/stats?theme=" + "x" * 200,
    "/stats/data/months.csv?from=nope", "/stats/data/districts.json?district=999",
    "/stats/data/top_venues.csv?venue=0", "/stats/equity?from=2026-09-01&to=2026-01-01",
    "/stats/equity?district=nowhere", "/api/v1/stats/summary?from[]=1", "/api/v1/stats/summary?to=%ff%fe",
]


@pytest.mark.parametrize("url", BAD_URLS)
def test_bad_input_on_any_stats_url_is_a_400_never_a_500(client, app, url):
    assert client.get(url).status_code == 400


def test_unknown_charts_and_formats_are_404(client, app):
    assert client.get("/stats/data/nothing.csv").status_code == 404
    assert client.get("/stats/data/months.xml").status_code == 404


def _next_year() -> tuple[str, str]:
    year = local_today().year + 1
    return f"{year}-01-01", f"{year}-12-31"


def test_a_period_that_has_not_started_is_named_as_asked_and_said_to_count_nothing_yet(client, scenario):
    first, last = _next_year()
    page = client.get(f"/stats?lang=en&from={first}&to={last}").get_data(as_text=True)

    heading = page.split('id="glance-heading">', 1)[1].split("</h2>", 1)[0]
    assert re.findall(r'<time datetime="([\d-]+)">', heading) == [first, last]  # never an end before the start
    assert "after today: nothing in it has been counted yet" in page
    assert "Figures run through" not in page
    assert set(glance(page).values()) == {"0"}


def test_the_data_behind_a_chart_of_a_period_not_started_counts_through_no_day(client, scenario):
    first, last = _next_year()
    body = client.get(f"/stats/data/months.json?from={first}&to={last}").get_json()
    assert body["through"] is None
