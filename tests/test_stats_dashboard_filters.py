"""/stats filtered to one venue (the venue page's "More statistics" link) and the data behind the
charts answering bad parameters as data clients expect."""
from __future__ import annotations

import re

import pytest

from app.extensions import db
from tests import factories


def filter_form(page: str) -> str:
    return page.split('class="panel stats-filters"', 1)[1].split("</form>", 1)[0]


def test_a_venue_filtered_dashboard_names_the_venue_and_offers_to_clear_it(client, scenario):
    venue = scenario["a"]
    page = client.get(f"/stats?venue={venue.id}&lang=en").get_data(as_text=True)
    assert f"<h1>Open statistics: {venue.name_en}</h1>" in page
    assert f"<title>Open statistics: {venue.name_en} · " in page  # a tab of each venue's figures its own
    form = filter_form(page)
    assert f"Only this venue: {venue.name_en}" in form
    clear = re.search(r'<a href="([^"]+)">Remove this filter</a>', form).group(1)
    assert "venue=" not in clear and clear.startswith("/stats?")
    zh = client.get(f"/stats?venue={venue.id}&lang=zh").get_data(as_text=True)
    assert f"开放统计：{venue.name_zh}" in zh and f"仅限此场馆：{venue.name_zh}" in zh


def test_sending_the_filter_form_again_keeps_the_venue(client, scenario):
    venue = scenario["a"]
    form = filter_form(client.get(f"/stats?venue={venue.id}&lang=en").get_data(as_text=True))
    assert f'<input type="hidden" name="venue" value="{venue.id}">' in form
    # What the browser sends when the district is changed and "Show" pressed: the hidden venue goes along.
    page = client.get(f"/stats?from={scenario['day_a']}&to={scenario['day_b']}&district=&type=&theme="
                      f"&venue={venue.id}&lang=en").get_data(as_text=True)
    assert f"Only this venue: {venue.name_en}" in page


def test_the_dashboard_without_a_venue_names_none(client, scenario):
    page = client.get("/stats?lang=en").get_data(as_text=True)
    assert "<h1>Open statistics</h1>" in page and "Only this venue" not in page and 'name="venue"' not in page


@pytest.mark.parametrize("url, field", [
    ("/stats/data/months.json?from=x", "from"),
    ("/stats/data/districts.json?from=2026-12-10&to=2026-01-01", "to"),
    ("/stats/data/months.json?venue=abc", "venue"),
    ("/stats/data/months.csv?venue=abc", "venue"),
    ("/stats/data/top_venues.csv?district=999", "district"),
])
def test_the_data_behind_a_chart_answers_bad_parameters_with_a_json_error(client, app, url, field):
    response = client.get(url + "&lang=en")
    assert response.status_code == 400 and response.mimetype == "application/json"
    body = response.get_json()
    assert body["error"] == "invalid_parameter" and body["field"] == field and body["message"]


def test_the_chart_data_error_matches_the_summary_apis(client, app):
    data = client.get("/stats/data/months.json?venue=abc&lang=en").get_json()
    api = client.get("/api/v1/stats/summary?venue=abc&lang=en").get_json()
    assert data == api


# --- charts fit a 360-px phone in large text (about 278 px of chart, 12 px a character) ------------

PHONE_PX, CHARACTER_PX = 278, 12


def columns_of(text: str) -> int:
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in text)


def test_bar_values_and_labels_stay_inside_the_chart_on_a_phone_in_large_text(client, app):
    from app.core.time import local_today
    from app.stats.models import VenueDailyStats

    venue = factories.venue(name_en="Comprehensive Science and Technology Museum of Nanjing Jiangbei")
    db.session.execute(VenueDailyStats.__table__.insert(), [
        {"venue_id": venue.id, "day": local_today(), "visits": 1_234_567, "individual_visits": 1_234_567}])
    db.session.commit()
    page = client.get("/stats?lang=en&mode=elder").get_data(as_text=True)
    bars = re.findall(r'<text class="bar-label"[^>]*>([^<]*)</text>\s*<rect class="bar" x="0" y="\d+" '
                      r'width="([\d.]+)%"[^>]*>.*?</rect>\s*<text class="bar-value"[^>]*>([^<]*)</text>', page, re.S)
    assert any(value == "1,234,567" for _label, _width, value in bars)
    for label, width, value in bars:
        assert columns_of(label) <= 23, label
        assert float(width) / 100 * PHONE_PX + 6 + CHARACTER_PX * len(value) <= PHONE_PX, (label, width, value)


def test_two_long_venue_names_that_begin_alike_stay_two_labels_on_a_phone(client, app):
    """Cut at the end, "Nanjing University of Aeronautics…" and "…of Information Science…" read as
    one venue twice: a long label keeps its end, where venues' names differ."""
    from app.core.time import local_today
    from app.stats.models import VenueDailyStats

    venues = [factories.venue(name_en="Nanjing University of Aeronautics and Astronautics Aerospace Museum",
                              name_zh="南京航空航天大学航空航天博物馆"),
              factories.venue(name_en="Nanjing University of Information Science and Technology Meteorology Hall",
                              name_zh="南京航空航天大学民航科普馆")]
    db.session.execute(VenueDailyStats.__table__.insert(), [
        {"venue_id": venue.id, "day": local_today(), "visits": 10 + n, "individual_visits": 10 + n}
        for n, venue in enumerate(venues)])
    db.session.commit()

    said = {}
    for lang in ("en", "zh"):
        page = client.get(f"/stats?lang={lang}&mode=elder").get_data(as_text=True)
        said[lang] = {label for label in re.findall(r'<text class="bar-label"[^>]*>([^<]*)</text>', page)
                      if label.startswith(("Nanjing Univers", "南京航空"))}
        assert len(said[lang]) == 2 and all(columns_of(label) <= 23 for label in said[lang]), said
    assert said["en"] == {"Nanjing Univers…Museum", "Nanjing Universit…Hall"}


def test_month_labels_at_the_edges_of_a_long_period_start_and_end_with_their_column(client, app):
    page = client.get("/stats?from=2022-01-01&to=2026-10-31&lang=en").get_data(as_text=True)
    chart = page.split('class="chart chart-columns"', 1)[1].split("</svg>", 1)[0]
    labels = re.findall(r'<text class="column-label[^"]*" x="([\d.]+)%" y="\d+" text-anchor="(\w+)">', chart)
    assert labels[0][1] == "start" and float(labels[0][0]) == 0
    assert all(anchor == "middle" for _x, anchor in labels[1:-1])
