"""District and city admins review venues; everyone else is kept out."""
import pytest
from sqlalchemy import select

from app.extensions import db
from app.venues.models import Venue, VenueStatus, VenueStatusChange
from tests import factories
from tests.factories import GULOU, JIANGNING, XUANWU


def _status(venue) -> VenueStatus:
    db.session.expire_all()
    return db.session.get(Venue, venue.id).status


def test_district_admin_rejects_a_venue_with_a_reason(client, auth, app):
    venue = factories.venue(status=VenueStatus.SUBMITTED)
    admin = factories.user("district_admin", district_code=XUANWU)
    auth.login(admin.email)
    response = client.post(f"/admin/venues/{venue.id}/reject", data={"reject-reason": "地址不全"})
    assert response.status_code == 302
    assert _status(venue) == VenueStatus.REJECTED
    assert db.session.get(Venue, venue.id).status_reason == "地址不全"


def test_rejecting_without_a_reason_is_refused_and_changes_nothing(client, auth, app):
    venue = factories.venue(status=VenueStatus.SUBMITTED)
    admin = factories.user("district_admin", district_code=XUANWU)
    auth.login(admin.email)
    response = client.post(f"/admin/venues/{venue.id}/reject", data={"reject-reason": "   "})
    assert response.status_code == 400
    assert 'id="reject-reason-error"' in response.get_data(as_text=True)
    assert _status(venue) == VenueStatus.SUBMITTED


def test_district_admin_of_another_district_gets_403(client, auth, app):
    venue = factories.venue(status=VenueStatus.SUBMITTED, district_code=GULOU)
    admin = factories.user("district_admin", district_code=XUANWU)
    auth.login(admin.email)
    assert client.get(f"/admin/venues/{venue.id}").status_code == 403
    assert client.post(f"/admin/venues/{venue.id}/approve").status_code == 403
    assert _status(venue) == VenueStatus.SUBMITTED


def test_the_queue_shows_a_district_admin_only_their_district(client, auth, app):
    factories.venue(status=VenueStatus.SUBMITTED, name_zh="玄武待审馆", district_code=XUANWU)
    factories.venue(status=VenueStatus.SUBMITTED, name_zh="鼓楼待审馆", district_code=GULOU)
    auth.login(factories.user("district_admin", district_code=XUANWU).email)
    page = client.get("/admin/venues").get_data(as_text=True)
    assert "玄武待审馆" in page and "鼓楼待审馆" not in page


def test_the_queue_shows_the_city_admin_every_district_and_filters_by_status(client, auth, app):
    factories.venue(status=VenueStatus.SUBMITTED, name_zh="玄武待审馆", district_code=XUANWU)
    factories.venue(status=VenueStatus.SUBMITTED, name_zh="江宁待审馆", district_code=JIANGNING)
    factories.venue(status=VenueStatus.APPROVED, name_zh="已开放馆")
    auth.login(factories.user("city_admin").email)
    waiting = client.get("/admin/venues").get_data(as_text=True)
    assert "玄武待审馆" in waiting and "江宁待审馆" in waiting and "已开放馆" not in waiting
    approved = client.get("/admin/venues?status=approved").get_data(as_text=True)
    assert "已开放馆" in approved and "玄武待审馆" not in approved
    everything = client.get("/admin/venues?status=all").get_data(as_text=True)
    assert "已开放馆" in everything and "江宁待审馆" in everything


def test_an_unknown_status_filter_is_ignored_with_a_note(client, auth, app):
    auth.login(factories.user("city_admin").email)
    for query in ("?status=bogus", "?page=-3", "?page=abc", "?page=99999999999999999999"):
        assert client.get(f"/admin/venues{query}").status_code == 200, query
    assert 'role="alert"' in client.get("/admin/venues?status=bogus").get_data(as_text=True)


def test_city_admin_suspends_and_reinstates_a_venue(client, auth, app):
    venue = factories.venue(status=VenueStatus.APPROVED, district_code=JIANGNING)
    auth.login(factories.user("city_admin").email)
    assert client.post(f"/admin/venues/{venue.id}/suspend", data={"suspend-reason": ""}).status_code == 400
    assert client.post(f"/admin/venues/{venue.id}/suspend",
                       data={"suspend-reason": "安全检查"}).status_code == 302
    assert _status(venue) == VenueStatus.SUSPENDED
    assert client.get(f"/venues/{venue.id}").status_code == 200  # reviewers still see it
    assert client.post(f"/admin/venues/{venue.id}/reinstate").status_code == 302
    assert _status(venue) == VenueStatus.APPROVED
    reasons = db.session.scalars(select(VenueStatusChange.reason).order_by(VenueStatusChange.id)).all()
    assert reasons == ["安全检查", ""]


def test_a_decision_the_status_does_not_allow_is_refused(client, auth, app):
    venue = factories.venue(status=VenueStatus.DRAFT)
    auth.login(factories.user("district_admin", district_code=XUANWU).email)
    for action in ("approve", "reinstate"):
        response = client.post(f"/admin/venues/{venue.id}/{action}?lang=en", follow_redirects=True)
        assert "Nothing was changed: this venue is now “Draft”" in response.get_data(as_text=True)
    assert _status(venue) == VenueStatus.DRAFT
    assert db.session.scalar(select(VenueStatusChange).limit(1)) is None


def test_the_review_page_offers_only_the_allowed_decisions(client, auth, app):
    venue = factories.venue(status=VenueStatus.SUBMITTED)
    auth.login(factories.user("district_admin", district_code=XUANWU).email)
    page = client.get(f"/admin/venues/{venue.id}").get_data(as_text=True)
    assert f"/admin/venues/{venue.id}/approve" in page and f"/admin/venues/{venue.id}/reject" in page
    assert f"/admin/venues/{venue.id}/suspend" not in page
    assert f"/admin/venues/{venue.id}/accreditations" not in page  # district admins do not accredit


def test_unknown_venue_ids_give_404(client, auth, app):
    auth.login(factories.user("city_admin").email)
    assert client.get("/admin/venues/999999").status_code == 404
    assert client.post("/admin/venues/999999/approve").status_code == 404
    assert client.post("/admin/venues/1/explode").status_code in (404, 405)


# --- Who may open which page --------------------------------------------------------------------

MANAGER_PAGES = [("get", "/manage/venue"), ("post", "/manage/venue/submit")]
ADMIN_PAGES = [("get", "/admin/venues"), ("get", "/admin/venues/{id}"), ("post", "/admin/venues/{id}/approve"),
               ("post", "/admin/venues/{id}/reject"), ("post", "/admin/venues/{id}/suspend"),
               ("post", "/admin/venues/{id}/reinstate")]
CITY_PAGES = [("get", "/admin/accreditations"), ("post", "/admin/venues/{id}/accreditations")]


@pytest.mark.parametrize("role", ["citizen", "teacher", "venue_staff"])
def test_citizens_teachers_and_staff_get_403_on_manager_and_admin_pages(client, auth, app, role):
    venue = factories.venue(status=VenueStatus.SUBMITTED)
    auth.login(factories.user(role).email)
    for method, url in MANAGER_PAGES + ADMIN_PAGES + CITY_PAGES:
        response = getattr(client, method)(url.format(id=venue.id))
        assert response.status_code == 403, (role, method, url)
    assert _status(venue) == VenueStatus.SUBMITTED


def test_venue_managers_get_403_on_admin_pages(client, auth, app):
    venue = factories.venue(status=VenueStatus.SUBMITTED)
    auth.login(factories.user("venue_manager", venue=venue).email)
    for method, url in ADMIN_PAGES + CITY_PAGES:
        assert getattr(client, method)(url.format(id=venue.id)).status_code == 403, url


def test_admins_get_403_on_the_manager_pages(client, auth, app):
    auth.login(factories.user("city_admin").email)
    for method, url in MANAGER_PAGES:
        assert getattr(client, method)(url).status_code == 403, url


def test_district_admins_get_403_on_accreditation_pages(client, auth, app):
    venue = factories.venue()
    auth.login(factories.user("district_admin", district_code=XUANWU).email)
    for method, url in CITY_PAGES:
        assert getattr(client, method)(url.format(id=venue.id)).status_code == 403, url


def test_anonymous_visitors_are_sent_to_log_in(client, app):
    venue = factories.venue(status=VenueStatus.SUBMITTED)
    for method, url in MANAGER_PAGES + ADMIN_PAGES + CITY_PAGES:
        response = getattr(client, method)(url.format(id=venue.id))
        assert response.status_code == 302, url
        assert "/login" in response.headers["Location"], url
    assert _status(venue) == VenueStatus.SUBMITTED
