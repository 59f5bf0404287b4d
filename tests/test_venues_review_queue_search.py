"""A reviewer finds a venue in a long registration list: by name (each word), and the city admin by
district too; the page says how many match, and paging keeps the search."""
from __future__ import annotations

import re

from app.venues.models import VenueStatus
from tests import factories
from tests.factories import GULOU, XUANWU


def _names(page: str) -> list[str]:
    return re.findall(r'<a href="/admin/venues/\d+">([^<]+)</a>', page)


def test_a_district_admin_searches_their_queue_by_name(client, auth, app):
    for n in range(35):  # more than a page of the queue
        factories.venue(status=VenueStatus.SUBMITTED, name_zh=f"待审社区馆{n:02d}", district_code=XUANWU)
    factories.venue(status=VenueStatus.SUBMITTED, name_zh="紫金天文台科普点", name_en="Zijin Star Point",
                    district_code=XUANWU)
    factories.venue(status=VenueStatus.SUBMITTED, name_zh="鼓楼天文台科普点", district_code=GULOU)
    auth.login(factories.user("district_admin", district_code=XUANWU).email)
    page = client.get("/admin/venues?q=天文台&lang=en").get_data(as_text=True)
    assert _names(page) == ["Zijin Star Point"]  # the other district's never shows
    assert "1 venue found" in page
    assert 'name="q"' in page and 'value="天文台"' in page
    everyone = client.get("/admin/venues?lang=en").get_data(as_text=True)
    assert "36 venues found" in everyone
    second = client.get("/admin/venues?q=待审社区馆&page=2&lang=en").get_data(as_text=True)
    assert len(_names(second)) == 5 and "35 venues found" in second


def test_the_city_admin_narrows_the_queue_to_a_district(client, auth, app):
    factories.venue(status=VenueStatus.SUBMITTED, name_zh="玄武待审馆", district_code=XUANWU)
    factories.venue(status=VenueStatus.SUBMITTED, name_zh="鼓楼待审馆", district_code=GULOU)
    auth.login(factories.user("city_admin").email)
    page = client.get(f"/admin/venues?district={GULOU}&lang=zh").get_data(as_text=True)
    assert "鼓楼待审馆" in page and "玄武待审馆" not in page


def test_a_district_admin_cannot_widen_the_queue_to_another_district(client, auth, app):
    factories.venue(status=VenueStatus.SUBMITTED, name_zh="鼓楼待审馆", district_code=GULOU)
    auth.login(factories.user("district_admin", district_code=XUANWU).email)
    page = client.get(f"/admin/venues?district={GULOU}&status=all").get_data(as_text=True)
    assert "鼓楼待审馆" not in page


def test_an_odd_search_is_harmless(client, auth, app):
    auth.login(factories.user("district_admin", district_code=XUANWU).email)
    for q in ("%", "_", "\\", "x" * 500):
        assert client.get("/admin/venues", query_string={"q": q, "district": "zzz"}).status_code == 200
    assert client.get("/admin/venues", query_string={"q": "\x00"}).status_code == 400  # the site refuses NUL


def test_my_scivisit_says_how_many_venues_of_the_district_wait_for_review(client, auth, app):
    for name in ("玄武待审一", "玄武待审二"):
        factories.venue(status=VenueStatus.SUBMITTED, name_zh=name, district_code=XUANWU)
    factories.venue(status=VenueStatus.SUBMITTED, district_code=GULOU)  # another district's
    factories.venue(status=VenueStatus.APPROVED, district_code=XUANWU)  # decided
    auth.login(factories.user("district_admin", district_code=XUANWU).email)
    page = client.get("/me?lang=en").get_data(as_text=True)
    link = page[page.index('href="/admin/venues"'):]
    assert re.match(r'href="/admin/venues">Venue registrations</a>\s*<span class="badge warn">2 waiting</span>', link)
