"""A venue registered twice: the reviewer sees the registrations it resembles, and a new manager
sees the public venues theirs resembles. Nothing is refused on a likeness alone."""
import re

from app.extensions import db
from app.venues.lookalikes import folded
from app.venues.models import Venue, VenueStatus
from tests import factories
from tests.factories import GULOU, XUANWU


def _text(response) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)).split())


def _lookalikes_section(response) -> str:
    html = response.get_data(as_text=True)
    match = re.search(r'<section class="notice lookalikes".*?</section>', html, re.S)
    return match.group(0) if match else ""


def test_names_are_compared_by_width_case_spaces_and_punctuation():
    assert folded("南京 科技馆。") == folded("南京科技馆") == "南京科技馆"
    assert folded("ＮＡＮＪＩＮＧ  Science-Museum") == folded("nanjing science museum")
    assert folded("紫荆花路９号") == folded("紫荆花路 9 号")
    assert folded("测试馆一") != folded("测试馆二")


def test_the_reviewer_sees_registrations_with_the_same_name_or_the_same_address_in_the_district(client, auth):
    public = factories.venue(name_zh="南京科技馆", name_en="Nanjing Science and Technology Museum")
    same_address = factories.venue(name_zh="另一个名字", name_en="Another name", address_zh="紫荆花路9号",
                                   status=VenueStatus.REJECTED)
    elsewhere = factories.venue(name_zh="别处的馆", name_en="Elsewhere", address_zh="紫荆花路9号", district_code=GULOU)
    unrelated = factories.venue(name_zh="无关的馆", name_en="Unrelated hall")
    again = factories.venue(name_zh="南京 科技馆", name_en="", address_zh="紫荆花路 ９ 号",
                            status=VenueStatus.SUBMITTED)
    auth.login(factories.user("district_admin", district_code=XUANWU).email)

    section = _lookalikes_section(client.get(f"/admin/venues/{again.id}?lang=en"))

    assert "Possibly registered already" in section
    assert f'href="/admin/venues/{public.id}"' in section and f'href="/admin/venues/{same_address.id}"' in section
    assert "Rejected" in section and "Approved" in section
    assert "别处的馆" not in section and "无关的馆" not in section  # another district's address; nothing alike
    assert elsewhere.id and unrelated.id
    # The likeness goes both ways, and decides nothing: the registration is approved as any other.
    assert "南京 科技馆" in _lookalikes_section(client.get(f"/admin/venues/{public.id}?lang=en"))
    assert client.post(f"/admin/venues/{again.id}/approve").status_code == 302
    db.session.expire_all()
    assert db.session.get(Venue, again.id).status == VenueStatus.APPROVED


def test_a_lookalike_in_a_district_the_reviewer_does_not_review_is_named_without_a_link(client, auth):
    theirs = factories.venue(name_zh="同名科普馆", name_en="", district_code=GULOU, status=VenueStatus.SUBMITTED)
    mine = factories.venue(name_zh="同名科普馆", name_en="", status=VenueStatus.SUBMITTED)
    auth.login(factories.user("district_admin", district_code=XUANWU).email)
    section = _lookalikes_section(client.get(f"/admin/venues/{mine.id}?lang=en"))
    assert "同名科普馆" in section and f"/venues/{theirs.id}" not in section


def test_a_page_without_lookalikes_has_no_such_section(client, auth):
    venue = factories.venue(status=VenueStatus.SUBMITTED)
    auth.login(factories.user("city_admin").email)
    assert "lookalikes" not in client.get(f"/admin/venues/{venue.id}").get_data(as_text=True)


def test_a_new_manager_is_shown_the_public_venue_theirs_may_be(client, auth):
    public = factories.venue(name_zh="南京科技馆", name_en="Nanjing Science and Technology Museum")
    hidden = factories.venue(name_zh="南京科技馆", name_en="", status=VenueStatus.SUBMITTED)
    manager = factories.user("venue_manager", venue=None)
    auth.login(manager.email)
    saved = client.post("/manage/venue?lang=en", data=factories.venue_form_data(
        name_zh="南京科技馆", name_en="Nanjing Science & Technology Museum"), follow_redirects=True)

    text = _text(saved)
    assert "A venue with the same name or address is already in the public directory:" in text
    html = saved.get_data(as_text=True)
    assert f'href="/venues/{public.id}"' in html and f"/venues/{hidden.id}" not in html  # not someone's registration
    assert "ask its manager, or the science association of its district" in text

    zh = _text(client.get("/manage/venue?lang=zh"))
    assert "公开名录中已有同名或同地址的场馆" in zh


def test_a_public_venue_s_manager_is_not_told_of_lookalikes(client, auth):
    factories.venue(name_zh="同名科普馆", name_en="")
    mine = factories.venue(name_zh="同名科普馆", name_en="")
    auth.login(factories.user("venue_manager", venue=mine).email)
    assert "lookalikes" not in client.get("/manage/venue").get_data(as_text=True)
