"""Teachers find accredited education bases (科普教育基地) for study visits: the directory page and GET
/api/v1/venues keep, on ``accreditation=any`` or a level, the venues holding such an accreditation
current today (Nanjing's date), in the one directory statement."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest

from app.core.time import local_today
from tests import factories
from tests.factories import GULOU, XUANWU
from tests.test_perf_hot_paths import statements


@pytest.fixture
def bases():
    """Venues by name: a current city base, a current national base in Gulou, one whose title ended
    yesterday, one whose title starts tomorrow, one ending today (still current), and one never accredited."""
    today = local_today()
    made = {}
    for name, level, start, end, district in (
            ("市级基地馆", "city_base", -400, 300, XUANWU), ("国家基地馆", "national_base", -10, 900, GULOU),
            ("过期基地馆", "city_base", -800, -1, XUANWU), ("未起基地馆", "provincial_base", 1, 700, XUANWU),
            ("今日到期馆", "study_base", -365, 0, XUANWU), ("普通馆", None, 0, 0, XUANWU)):
        venue = factories.venue(name_zh=name, district_code=district)
        if level:
            factories.accreditation(venue, level=level, valid_from=today + timedelta(days=start),
                                    valid_to=today + timedelta(days=end))
        made[name] = venue
    return made


def _api_names(client, query: str) -> list[str]:
    response = client.get(f"/api/v1/venues?{query}")
    assert response.status_code == 200, response.get_json()
    return sorted(v["name_zh"] for v in response.get_json()["items"])


def _page_names(client, query: str) -> list[str]:
    response = client.get(f"/venues?{query}&lang=zh")
    assert response.status_code == 200
    html = response.get_data(as_text=True).split('id="results-heading"', 1)[1]
    return sorted(name for name in ("市级基地馆", "国家基地馆", "过期基地馆", "未起基地馆", "今日到期馆", "普通馆")
                  if name in html)


def test_the_api_keeps_venues_with_an_accreditation_current_today(client, bases):
    assert _api_names(client, "accreditation=any") == ["今日到期馆", "国家基地馆", "市级基地馆"]
    assert _api_names(client, "accreditation=city_base") == ["市级基地馆"]
    assert _api_names(client, "accreditation=national_base") == ["国家基地馆"]
    assert _api_names(client, "accreditation=provincial_base") == []  # not valid before tomorrow
    assert len(_api_names(client, "")) == 6  # no filter: every approved venue


def test_the_api_filter_combines_with_the_others(client, bases):
    assert _api_names(client, f"accreditation=any&district={XUANWU}") == ["今日到期馆", "市级基地馆"]
    assert _api_names(client, "accreditation=any&q=国家") == ["国家基地馆"]


@pytest.mark.parametrize("value", ["yes", "city", "1", "any_level", "x" * 500])
def test_the_api_refuses_an_unknown_kind_of_base(client, bases, value):
    response = client.get(f"/api/v1/venues?accreditation={value}&lang=en")
    assert response.status_code == 400
    body = response.get_json()
    assert (body["error"], body["field"]) == ("invalid_parameter", "accreditation") and body["message"]


def test_the_api_documents_the_filter(client, app):
    spec = client.get("/api/v1/openapi.json").get_json()
    parameter = next(p for p in spec["paths"]["/api/v1/venues"]["get"]["parameters"] if p["name"] == "accreditation")
    assert parameter["schema"]["enum"] == ["any", "city_base", "provincial_base", "national_base", "study_base"]
    assert "current" in parameter["description"]


def test_the_page_filters_education_bases_and_keeps_the_other_filters(client, bases):
    assert _page_names(client, "accreditation=any") == ["今日到期馆", "国家基地馆", "市级基地馆"]
    assert _page_names(client, "accreditation=study_base") == ["今日到期馆"]
    response = client.get(f"/venues?accreditation=any&district={GULOU}&lang=en")
    html = response.get_data(as_text=True)
    assert _page_names(client, f"accreditation=any&district={GULOU}") == ["国家基地馆"]
    # The form shows the search as it was, to change one filter and keep the rest.
    assert re.search(r'<option value="any" selected>', html)
    assert re.search(rf'<option value="{GULOU}" selected>', html)
    assert '<label for="accreditation">Education base</label>' in html
    assert "Clear all filters" in html


def test_the_filter_is_labelled_in_chinese(client, bases):
    html = client.get("/venues?lang=zh").get_data(as_text=True)
    assert '<label for="accreditation">科普教育基地</label>' in html
    assert "任一级别的科普教育基地" in html


def test_the_page_says_what_is_wrong_with_an_unknown_kind_of_base(client, bases):
    response = client.get(f"/venues?accreditation=spaceport&district={XUANWU}&lang=en")
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "filter-problems" in html and 'href="#accreditation"' in html
    assert 'id="accreditation-error"' in html
    assert re.search(rf'<option value="{XUANWU}" selected>', html)  # the rest of the search is kept


def test_the_filter_adds_no_statement_however_many_bases_are_listed(client, app):
    for n in range(25):
        venue = factories.venue(themes=["astronomy", f"theme {n}"])
        factories.accreditation(venue)
    with statements() as plain:
        client.get("/api/v1/venues?per_page=25")
    with statements() as filtered:
        listed = client.get("/api/v1/venues?per_page=25&accreditation=any").get_json()
    assert listed["total"] == 25 and len(filtered) == len(plain)
    with statements() as plain:
        client.get("/venues")
    with statements() as filtered:
        assert client.get("/venues?accreditation=city_base").status_code == 200
    assert len(filtered) == len(plain)
