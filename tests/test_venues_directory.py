"""The public directory and venue pages: approved venues only, searchable, never a 500."""
import re

import pytest

from app.venues.models import Admission, VenueStatus, VenueType
from tests import factories
from tests.factories import GULOU, JIANGNING, XUANWU

SITE_SCRIPT = '<script src="/static/js/site.js" defer>'  # every page's: focus on errors, nothing else


def _names(client, query: str) -> str:
    response = client.get(f"/venues{query}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_only_approved_venues_are_listed(client, app):
    factories.venue(name_zh="开放馆")
    for status in (VenueStatus.DRAFT, VenueStatus.SUBMITTED, VenueStatus.REJECTED, VenueStatus.SUSPENDED):
        factories.venue(name_zh=f"未开放{status.value}馆", status=status)
    page = _names(client, "")
    assert "开放馆" in page and "未开放" not in page


@pytest.mark.parametrize("status", ["draft", "submitted", "rejected", "suspended"])
def test_unapproved_venues_give_404_to_the_public(client, auth, app, status):
    venue = factories.venue(status=VenueStatus(status))
    assert client.get(f"/venues/{venue.id}").status_code == 404
    auth.login(factories.user("citizen").email)
    assert client.get(f"/venues/{venue.id}").status_code == 404
    auth.logout()
    auth.login(factories.user("district_admin", district_code=GULOU).email)
    assert client.get(f"/venues/{venue.id}").status_code == 404


def test_the_manager_and_reviewer_see_an_unapproved_venue_with_a_banner(client, auth, app):
    venue = factories.venue(status=VenueStatus.SUBMITTED, district_code=XUANWU)
    auth.login(factories.user("venue_manager", venue=venue).email)
    page = client.get(f"/venues/{venue.id}").get_data(as_text=True)
    assert "status-banner" in page
    auth.logout()
    auth.login(factories.user("district_admin", district_code=XUANWU).email)
    assert "status-banner" in client.get(f"/venues/{venue.id}").get_data(as_text=True)


def test_keyword_matches_names_addresses_and_themes(client, app):
    factories.venue(name_zh="天文馆", name_en="Planetarium", address_zh="北京东路1号", themes=["星空"])
    factories.venue(name_zh="地质馆", name_en="Geology Hall", address_zh="珠江路700号", themes=["岩石"])
    assert "天文馆" in _names(client, "?q=planet") and "地质馆" not in _names(client, "?q=planet")
    assert "地质馆" in _names(client, "?q=珠江路") and "天文馆" not in _names(client, "?q=珠江路")
    assert "天文馆" in _names(client, "?q=星空") and "地质馆" not in _names(client, "?q=星空")


def test_keyword_wildcards_are_taken_literally(client, app):
    factories.venue(name_zh="百分馆")
    page = _names(client, "?q=%25")
    assert "百分馆" not in page


def test_district_type_theme_grade_and_free_filters_each_narrow_the_list(client, app):
    factories.venue(name_zh="甲馆", district_code=XUANWU, venue_type=VenueType.GALLERY, themes=["物理"],
                    grade_min=1, grade_max=6, admission=Admission.FREE)
    factories.venue(name_zh="乙馆", district_code=JIANGNING, venue_type=VenueType.OUTDOOR_SITE, themes=["生物"],
                    grade_min=7, grade_max=12, admission=Admission.DISCOUNTED, discount_zh="半价")
    cases = {f"?district={XUANWU}": "甲馆", f"?district={JIANGNING}": "乙馆", "?type=gallery": "甲馆",
             "?type=outdoor_site": "乙馆", "?theme=物理": "甲馆", "?theme=生物": "乙馆", "?grade=3": "甲馆",
             "?grade=9": "乙馆", "?grade=0": None, "?free=1": "甲馆"}
    for query, expected in cases.items():
        page = _names(client, query)
        for name in ("甲馆", "乙馆"):
            assert (name in page) == (name == expected), (query, name)


def test_result_cards_show_type_district_themes_and_badges(client, app):
    venue = factories.venue(name_zh="徽章馆", themes=["化学"], admission=Admission.FREE)
    factories.accreditation(venue, level="national_base")
    page = _names(client, "?q=徽章")
    assert "化学" in page and 'class="badge ok"' in page and 'class="badge accredited"' in page


def test_paging_splits_the_results(client, app):
    app.config["DIRECTORY_PAGE_SIZE"] = 2
    for n in range(5):
        factories.venue(name_zh=f"分页馆{n}")
    first, third = _names(client, ""), _names(client, "?page=3")
    assert first.count('class="card venue-card"') == 2 and third.count('class="card venue-card"') == 1
    assert 'rel="next"' in first and "page=2" in first


@pytest.mark.parametrize("query", [
    "?grade=abc", "?grade=13", "?grade=-1", "?grade=²", "?page=-3", "?page=0", "?page=abc",
    "?page=99999999999999999999", "?page=" + "9" * 5000, "?district=999", "?district=" + "x" * 500,
    "?type=spaceship", "?free=maybe", "?q=" + "长" * 500, "?q=%00", "?theme=%00%00", "?q=%FF%FE",
    "?grade=1&grade=2", "?page=1e3", "?q=\\", "?theme=" + "t" * 100,
])
def test_garbage_parameters_are_ignored_with_a_note_never_a_500(client, app, query):
    factories.venue(name_zh="稳健馆")
    response = client.get(f"/venues{query}")
    assert response.status_code in (200, 400), query
    if response.status_code == 200 and query not in ("?q=%00", "?theme=%00%00", "?q=%FF%FE", "?grade=1&grade=2", "?q=\\"):
        assert "filter-problems" in response.get_data(as_text=True), query


def test_the_venue_page_shows_the_profile_in_words(client, app):
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"  # reads the English wording
    from datetime import time
    venue = factories.venue(
        name_zh="详情馆", opens_at=time(9, 0), closes_at=time(17, 0), closed_weekdays="1,2",
        admission=Admission.DISCOUNTED, discount_zh="学生半价", grade_min=0, grade_max=6,
        accessibility_zh="无障碍电梯", contact_phone="025-84800000", website="https://museum.example",
        latitude="32.041500", longitude="118.778100", address_zh="紫荆花路9号")
    page = client.get(f"/venues/{venue.id}").get_data(as_text=True)
    for text in ("09:00", "17:00", "Monday", "Tuesday", "学生半价", "Kindergarten", "Grade 6", "无障碍电梯",
                 "025-84800000", "https://museum.example", "紫荆花路9号", "32.041500",
                 'href="geo:32.041500,118.778100"'):
        assert text in page, text
    assert "<iframe" not in page and re.findall(r"<script[^>]*>", page) == [SITE_SCRIPT]  # no map widget


def test_unverified_details_are_flagged_on_the_venue_page(client, app):
    venue = factories.venue(unverified_note="district uncertain")
    page = client.get(f"/venues/{venue.id}?lang=en").get_data(as_text=True)
    assert "district uncertain" in page and 'class="notice unverified"' in page


def test_unknown_and_huge_venue_ids_give_404(client, app):
    assert client.get("/venues/424242").status_code == 404
    assert client.get("/venues/99999999999999999999").status_code == 404
    assert client.get("/venues/abc").status_code == 404


def test_the_home_page_overview_counts_approved_venues(client, app):
    from app.venues.services import directory_overview
    factories.venue(district_code=XUANWU, admission=Admission.FREE)
    factories.venue(district_code=GULOU, admission=Admission.DISCOUNTED, discount_zh="半价")
    factories.venue(district_code=JIANGNING, status=VenueStatus.SUBMITTED)
    overview = directory_overview()
    assert (overview.venue_count, overview.free_count, overview.district_count) == (2, 1, 2)
    assert len(overview.featured) == 2
    assert client.get("/").status_code == 200
