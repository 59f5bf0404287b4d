"""The directory's keyword as a Chinese input method or a paste gives it: full-width letters and digits
read as the ASCII they stand for (NFKC), invisible format characters ignored, any spaces between words
as one; on /venues, GET /api/v1/venues and the reviewers' queue alike, whatever the database."""
from __future__ import annotations

import re

import pytest

from app.venues.models import VenueStatus
from tests import factories
from tests.factories import GULOU, XUANWU


@pytest.fixture
def venues(app):
    factories.venue(name_zh="南京科技馆", name_en="Nanjing Science Museum", district_code=XUANWU)
    factories.venue(name_zh="鼓楼科普画廊", name_en="Gulou Gallery", district_code=GULOU)
    factories.venue(name_zh="第3展厅", name_en="Hall 3", address_zh="中山路", district_code=GULOU)


def _found(client, q: str) -> tuple[list[str], list[str]]:
    """The venues /venues and the API find for ``q``."""
    page = client.get("/venues", query_string={"q": q})
    api = client.get("/api/v1/venues", query_string={"q": q})
    assert page.status_code == 200 and api.status_code == 200, api.get_json()
    html = page.get_data(as_text=True)
    on_page = sorted(n for n in ("南京科技馆", "鼓楼科普画廊", "第3展厅") if n in html)
    return on_page, sorted(item["name_zh"] for item in api.get_json()["items"])


@pytest.mark.parametrize("q", ["ＮＡＮＪＩＮＧ", "ｎａｎｊｉｎｇ", "NANJING", "nanjing", "Ｎａｎｊｉｎｇ　Ｓｃｉｅｎｃｅ"])
def test_a_keyword_in_full_width_or_any_case_finds_what_its_plain_letters_find(client, venues, q):
    assert _found(client, q) == (["南京科技馆"], ["南京科技馆"])


def test_full_width_digits_find_the_digits(client, venues):
    assert _found(client, "第３展厅") == (["第3展厅"], ["第3展厅"])
    assert _found(client, "ＨＡＬＬ　３") == (["第3展厅"], ["第3展厅"])


@pytest.mark.parametrize("q", ["\u200b南京", "南\u200b京", "\ufeff南京", "南京\u200d", "\u2060Nanjing\u200e"])
def test_invisible_format_characters_in_the_keyword_are_ignored(client, venues, q):
    assert _found(client, q) == (["南京科技馆"], ["南京科技馆"])


def test_ideographic_and_repeated_spaces_separate_words_as_one_space_does(client, venues):
    # Each word must match: 鼓楼 (the district) and 画廊 (the name) find the gallery only.
    assert _found(client, "鼓楼\u3000\u3000画廊") == (["鼓楼科普画廊"], ["鼓楼科普画廊"])
    assert _found(client, " 鼓楼 \t 画廊 ") == (["鼓楼科普画廊"], ["鼓楼科普画廊"])


def test_a_keyword_of_nothing_but_invisible_characters_lists_every_venue(client, venues):
    assert _found(client, "\u200b\u200b") == (["南京科技馆", "第3展厅", "鼓楼科普画廊"],
                                              ["南京科技馆", "第3展厅", "鼓楼科普画廊"])


def test_the_page_gives_the_keyword_back_as_it_was_searched(client, venues):
    html = client.get("/venues", query_string={"q": "\u200bＮＡＮＪＩＮＧ"}).get_data(as_text=True)
    assert 'value="NANJING"' in html


def test_a_reviewer_searching_the_queue_in_full_width_finds_the_venue(client, auth, app):
    factories.venue(status=VenueStatus.SUBMITTED, name_zh="紫金天文台科普点", name_en="Zijin Star Point",
                    district_code=XUANWU)
    factories.venue(status=VenueStatus.SUBMITTED, name_zh="玄武社区馆", district_code=XUANWU)
    auth.login(factories.user("district_admin", district_code=XUANWU).email)
    page = client.get("/admin/venues", query_string={"q": "\u200bＺＩＪＩＮ", "lang": "en"}).get_data(as_text=True)
    assert re.findall(r'<a href="/admin/venues/\d+">([^<]+)</a>', page) == ["Zijin Star Point"]
    assert 'value="ZIJIN"' in page


def test_a_keyword_within_the_limit_as_typed_is_searched_though_folding_lengthens_it(client, venues):
    # ㍿ is 株式会社 once folded: 100 typed characters, 400 searched.
    assert client.get("/api/v1/venues", query_string={"q": "㍿" * 100}).get_json()["items"] == []
    assert client.get("/venues", query_string={"q": "㍿" * 100}).status_code == 200
