"""The home page and the privacy notice, as an anonymous visitor sees them."""
import re

from tests import factories


def test_home_page_renders_for_an_anonymous_visitor_with_no_venues(client, app):
    response = client.get("/")
    assert response.status_code == 200
    assert "<h1" in response.get_data(as_text=True)


def test_home_page_search_box_asks_the_venue_directory(client, app):
    page = client.get("/").get_data(as_text=True)
    assert 'action="/venues"' in page
    assert 'name="q"' in page


def test_home_page_features_approved_venues_with_links_to_their_pages(client, app):
    venue = factories.venue(name_zh="南京科技馆")
    page = client.get("/").get_data(as_text=True)
    assert "南京科技馆" in page
    assert f'href="/venues/{venue.id}"' in page


def test_home_page_shows_the_headline_numbers(client, app):
    factories.venue()
    factories.venue(district_code=factories.GULOU)
    page = client.get("/?lang=en").get_data(as_text=True)
    assert "approved venues" in page
    assert "districts of Nanjing covered" in page


def test_home_page_leads_teachers_managers_and_newcomers_on(client, app):
    page = client.get("/").get_data(as_text=True)
    assert 'href="/register"' in page and 'href="/privacy"' in page
    # A would-be manager or teacher has no account yet: registration, with the role chosen.
    assert 'href="/register?role=venue_manager"' in page and 'href="/register?role=teacher"' in page
    assert 'href="/stats"' in page and 'href="/open-data/"' in page  # live, not "coming soon"
    assert "Coming soon" not in client.get("/?lang=en").get_data(as_text=True)
    chosen = client.get("/register?role=venue_manager").get_data(as_text=True)
    assert re.search(r'<input checked[^>]*value="venue_manager"', chosen), "the role is preselected"


def test_home_page_offers_venue_registration_only_to_who_can_use_it(client, auth):
    auth.login(factories.user("citizen").email)
    page = client.get("/?lang=en").get_data(as_text=True)
    assert "/manage/venue" not in page and "/register?role=" not in page
    assert "A venue is registered from a venue manager’s own account." in page
    auth.logout()
    auth.login(factories.user("venue_manager").email)
    assert 'href="/manage/venue"' in client.get("/").get_data(as_text=True)


def test_home_page_renders_after_the_demo_is_loaded(client, app):
    assert app.test_cli_runner().invoke(args=["seed-demo"]).exit_code == 0
    assert client.get("/").status_code == 200
    assert client.get("/?mode=elder&lang=en").status_code == 200


def test_privacy_notice_renders_for_an_anonymous_visitor(client, app):
    response = client.get("/privacy")
    assert response.status_code == 200
    assert response.get_data(as_text=True).count("<h1") == 1


def test_privacy_notice_says_what_is_never_collected_and_how_long_bookings_are_kept(client, app):
    page = client.get("/privacy?lang=en").get_data(as_text=True)
    assert "ID-card numbers" in page
    assert "18 months" in page
    assert "under 14" in page
    assert "mailto:" in page
