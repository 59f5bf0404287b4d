"""The directory's keyword (names, addresses, themes and districts; every word must match) and what
the page says about a search it cannot read, on /venues and GET /api/v1/venues alike."""
import pytest

from app.venues.models import VenueType
from tests import factories
from tests.factories import GULOU, XUANWU
from tests.test_perf_hot_paths import statements


def _page(client, query: str):
    response = client.get(f"/venues?{query}")
    return response.status_code, response.get_data(as_text=True)


def _api_names(client, query: str) -> list[str]:
    response = client.get(f"/api/v1/venues?{query}")
    assert response.status_code == 200, response.get_json()
    return sorted(v["name_zh"] for v in response.get_json()["items"])


@pytest.fixture
def two_districts(app):
    factories.venue(name_zh="南京科技馆", name_en="Nanjing Science Museum", district_code=XUANWU)
    factories.venue(name_zh="鼓楼科普画廊", name_en="Gulou Gallery", district_code=GULOU)


@pytest.mark.parametrize("q", ["玄武区", "玄武", "xuanwu", "Xuanwu District"])
def test_a_district_name_in_chinese_or_english_finds_its_venues(client, two_districts, q):
    status, page = _page(client, f"q={q}")
    assert status == 200 and "南京科技馆" in page and "鼓楼科普画廊" not in page
    assert _api_names(client, f"q={q}") == ["南京科技馆"]


def test_every_word_of_the_keyword_must_match(client, two_districts):
    factories.venue(name_zh="科技文化中心", district_code=GULOU)
    assert _api_names(client, "q=科技 馆") == ["南京科技馆"]
    assert _api_names(client, "q=科技馆") == ["南京科技馆"]
    assert _api_names(client, "q=科技  鼓楼") == ["科技文化中心"]  # a word may match the district
    assert _api_names(client, "q=科技 星球") == []
    status, page = _page(client, "q=科技 馆")
    assert "南京科技馆" in page and "科技文化中心" not in page and 'value="科技 馆"' in page


def test_a_theme_typed_by_its_chinese_name_finds_the_venues_stored_under_it(client, app):
    factories.venue(name_zh="紫金山台", themes=["astronomy"])  # a known theme, stored by its key
    factories.venue(name_zh="地质馆", themes=["geology"])
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "zh"
    assert _api_names(client, "q=天文") == ["紫金山台"]


def test_a_keyword_search_runs_no_more_statements_than_the_plain_directory(client, two_districts):
    with statements() as plain:
        client.get("/venues")
    with statements() as searched:
        assert client.get("/venues?q=玄武 科技 馆").status_code == 200
    assert len(searched) == len(plain)


def test_a_keyword_over_100_characters_is_said_kept_and_matches_nothing(client, two_districts):
    status, page = _page(client, "q=" + "x" * 101)
    assert status == 400
    assert "搜索内容最多100个字" in page and 'value="' + "x" * 101 + '"' in page
    assert 'id="q-error"' in page and 'aria-invalid="true"' in page
    assert "南京科技馆" not in page and "鼓楼科普画廊" not in page  # no venue passes for a match


@pytest.mark.parametrize("bad,field,message", [
    ("district=zzz", "district", "没有这个区"), ("type=bogus", "type", "没有这个场馆类型"),
    ("grade=99", "grade", "年级"), ("free=maybe", "free", "免费"),
])
def test_a_bad_filter_is_named_the_others_kept_and_nothing_listed(client, two_districts, bad, field, message):
    kept = "district=320106" if field != "district" else "type=gallery"
    status, page = _page(client, f"{bad}&{kept}&q=科普")
    assert status == 400
    assert f'id="{field}-error"' in page and message in page and f'href="#{field}"' in page
    assert 'value="科普"' in page and " selected>" in page  # the keyword and the good filter stay
    assert "鼓楼科普画廊" not in page


def test_the_api_refuses_free_values_it_does_not_document(client, two_districts):
    for value in ("yes", "on", "no", "maybe"):
        response = client.get(f"/api/v1/venues?free={value}")
        assert response.status_code == 400, value
        assert (response.get_json()["error"], response.get_json()["field"]) == ("invalid_parameter", "free")
    for value in ("1", "true", "0", "false"):
        assert client.get(f"/api/v1/venues?free={value}").status_code == 200, value


def test_the_page_checkbox_still_filters_free_venues(client, app):
    factories.venue(name_zh="免费馆", venue_type=VenueType.GALLERY)
    status, page = _page(client, "free=1")
    assert status == 200 and "免费馆" in page and " checked" in page
