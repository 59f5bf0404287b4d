"""A page number past the end of a list (an old or shared link, a list that has since shrunk): every
paged page sends it to the last page, keeping its filters; the API answers it with no items."""
from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from tests import factories
from tests.factories import XUANWU


def _redirected_to(response) -> tuple[str, dict]:
    assert response.status_code == 302, response.status_code
    location = urlsplit(response.headers["Location"])
    return location.path, parse_qs(location.query)


def test_a_directory_page_past_the_end_goes_to_the_last_page_with_the_same_search(client, app):
    app.config["DIRECTORY_PAGE_SIZE"] = 2
    for n in range(5):
        factories.venue(name_zh=f"翻页馆{n}")

    path, args = _redirected_to(client.get(f"/venues?lang=en&district={XUANWU}&page=99"))
    assert (path, args) == ("/venues", {"lang": ["en"], "district": [XUANWU], "page": ["3"]})

    page = client.get(f"/venues?lang=en&district={XUANWU}&page=99", follow_redirects=True).get_data(as_text=True)
    assert "Page 3 of 3" in page and "Page 99" not in page and "page=98" not in page
    assert page.count('class="card venue-card"') == 1


def test_a_page_past_the_end_of_a_search_without_results_goes_to_its_only_page(client, app):
    factories.venue()
    path, args = _redirected_to(client.get("/venues?lang=en&q=nowhere&page=4"))
    assert (path, args) == ("/venues", {"lang": ["en"], "q": ["nowhere"]})


def test_the_last_page_itself_is_shown(client, app):
    app.config["DIRECTORY_PAGE_SIZE"] = 2
    for n in range(3):
        factories.venue()
    assert client.get("/venues?page=2").status_code == 200


def test_the_api_answers_a_page_past_the_end_with_no_items(client, app):
    for n in range(3):
        factories.venue()
    response = client.get("/api/v1/venues?page=99&per_page=2")
    assert response.status_code == 200
    body = response.get_json()
    assert (body["items"], body["page"], body["total"]) == ([], 99, 3)
    page = client.get("/api/v1/openapi.json").get_json()["paths"]["/api/v1/venues"]["get"]["parameters"]
    assert "past the last" in next(p["description"] for p in page if p["name"] == "page")


def test_the_events_page_past_the_end_goes_to_the_last_page(client):
    path, args = _redirected_to(client.get("/events?lang=en&page=7"))
    assert (path, args) == ("/events", {"lang": ["en"]})


@pytest.mark.parametrize("url", [
    "/admin/venues?status=all", "/admin/accreditations", "/admin/schools", "/admin/people",
    "/admin/teachers", "/admin/privacy/access-log", "/admin/mail",
])
def test_an_admin_list_past_the_end_goes_to_the_last_page(client, auth, url):
    auth.login(factories.user("city_admin").email)
    path, args = _redirected_to(client.get(f"{url}&page=99" if "?" in url else f"{url}?page=99"))
    assert path == urlsplit(url).path and "page" not in args
    assert client.get(f"{path}?page=99", follow_redirects=True).status_code == 200


def test_an_admin_list_of_several_pages_goes_to_its_last_one_with_its_filters(client, auth):
    for n in range(25):
        factories.school(name_zh=f"翻页小学{n}")
    auth.login(factories.user("city_admin").email)
    path, args = _redirected_to(client.get(f"/admin/schools?district={XUANWU}&page=99"))
    assert (path, args) == ("/admin/schools", {"district": [XUANWU], "page": ["2"]})
