"""The public read-only data that apps, gates and other sites poll: the statistics summary refuses
unknown parameters like the other API lists; conditional GET (ETag, If-None-Match → 304 without a
body); and CORS (``Access-Control-Allow-Origin: *``) for them, never for what a cookie or token reads."""
from __future__ import annotations

import pytest

from app.extensions import db
from tests import factories

ORIGIN = {"Origin": "https://school.example.cn"}


@pytest.fixture
def venue(app):
    venue = factories.venue()
    factories.slot(venue, capacity=30)
    db.session.commit()
    return venue


def _public_paths(venue) -> list[str]:
    return ["/api/v1/venues", f"/api/v1/venues/{venue.id}", f"/api/v1/venues/{venue.id}/slots",
            "/api/v1/stats/summary", "/api/v1/checkin-keys", "/api/v1/openapi.json", "/open-data/datapackage.json"]


FILES = ["/open-data/attendance-daily.csv", "/open-data/attendance-daily.json", "/open-data/venues.xlsx",
         "/open-data/themed-events.csv"]


# --- unknown parameters of the statistics summary ---------------------------------------------------

def test_the_summary_refuses_unknown_parameters_naming_them_all(client):
    response = client.get("/api/v1/stats/summary?distrct=320102&form=2026-01-01&lang=en")
    assert response.status_code == 400
    body = response.get_json()
    assert (body["error"], body["field"], body["parameters"]) == ("unknown_parameter", "distrct", ["distrct", "form"])
    assert body["message"] == "Unknown parameters: distrct, form."


def test_a_bad_value_of_a_known_summary_parameter_stays_invalid_parameter(client):
    body = client.get("/api/v1/stats/summary?venue=abc&lang=en").get_json()
    assert (body["error"], body["field"]) == ("invalid_parameter", "venue")
    assert client.get("/api/v1/stats/summary?lang=en&mode=elder&district=320102").status_code == 200


def test_the_summary_documents_unknown_parameter_and_the_mode(client):
    operation = client.get("/api/v1/openapi.json").get_json()["paths"]["/api/v1/stats/summary"]["get"]
    assert "unknown_parameter" in operation["description"]
    assert {"lang", "mode"} <= {p["name"] for p in operation["parameters"]}


# --- conditional GET ----------------------------------------------------------------------------------

def test_every_public_read_has_an_etag_and_answers_304_to_it(client, venue, scenario):
    for path in _public_paths(venue):
        first = client.get(path)
        assert first.status_code == 200, path
        etag = first.headers.get("ETag")
        assert etag, path
        again = client.get(path)
        assert again.headers["ETag"] == etag, path  # the same answer, the same tag: no per-process state
        cached = client.get(path, headers={"If-None-Match": etag})
        assert cached.status_code == 304, path
        assert cached.get_data() == b"", path
        assert cached.headers["ETag"] == etag, path
        assert client.get(path, headers={"If-None-Match": '"something-else"'}).status_code == 200, path


def test_the_cache_control_of_each_read_is_kept(client, venue):
    assert client.get("/api/v1/stats/summary").headers["Cache-Control"] == "public, max-age=60"
    assert client.get("/api/v1/checkin-keys").headers["Cache-Control"] == "public, max-age=60"
    etag = client.get("/api/v1/stats/summary").headers["ETag"]
    assert client.get("/api/v1/stats/summary", headers={"If-None-Match": etag}).headers["Cache-Control"] == \
        "public, max-age=60"


def test_a_change_gives_a_new_etag(client, venue):
    before = client.get("/api/v1/venues").headers["ETag"]
    slots_before = client.get(f"/api/v1/venues/{venue.id}/slots").headers["ETag"]
    venue.name_zh = "改名后的科技馆"
    db.session.commit()
    after = client.get("/api/v1/venues", headers={"If-None-Match": before})
    assert after.status_code == 200 and after.headers["ETag"] != before
    assert after.get_json()["items"][0]["name_zh"] == "改名后的科技馆"
    factories.slot(venue, capacity=7, days_ahead=3)
    db.session.commit()
    slots_after = client.get(f"/api/v1/venues/{venue.id}/slots", headers={"If-None-Match": slots_before})
    assert slots_after.status_code == 200 and slots_after.headers["ETag"] != slots_before


def test_an_open_data_file_streams_without_an_etag_but_any_site_may_read_it(client, scenario):
    # A file is streamed as it is read: a tag of its rows would read the whole dataset twice.
    for path in FILES:
        response = client.get(path, headers=ORIGIN)
        assert response.status_code == 200 and response.is_streamed, path
        assert "ETag" not in response.headers, path
        assert response.headers["Access-Control-Allow-Origin"] == "*", path


def test_personal_answers_get_no_etag_and_no_cors(client, venue):
    citizen = factories.user("citizen")
    bearer = {"Authorization": f"Bearer {factories.user_token(citizen)}", **ORIGIN}
    for path in ("/api/v1/bookings", "/api/v1/auth/token"):
        response = client.get(path, headers=bearer)
        assert response.status_code == 200, path
        assert "ETag" not in response.headers, path
        assert "Access-Control-Allow-Origin" not in response.headers, path


# --- CORS ---------------------------------------------------------------------------------------------

def test_public_reads_may_be_read_by_any_site(client, venue, scenario):
    for path in _public_paths(venue) + FILES:
        response = client.get(path, headers=ORIGIN)
        assert response.headers["Access-Control-Allow-Origin"] == "*", path
        assert "Access-Control-Allow-Credentials" not in response.headers, path
        assert "ETag" in response.headers["Access-Control-Expose-Headers"], path
    refused = client.get("/api/v1/stats/summary?nope=1", headers=ORIGIN)  # its error is readable too
    assert refused.status_code == 400 and refused.headers["Access-Control-Allow-Origin"] == "*"


def test_the_preflight_of_a_public_read_is_answered(client, venue):
    for path in _public_paths(venue) + FILES:
        response = client.options(path, headers={**ORIGIN, "Access-Control-Request-Method": "GET",
                                                 "Access-Control-Request-Headers": "if-none-match"})
        assert response.status_code in (200, 204), path
        assert response.headers["Access-Control-Allow-Origin"] == "*", path
        assert "GET" in response.headers["Access-Control-Allow-Methods"], path
        assert "POST" not in response.headers["Access-Control-Allow-Methods"], path
        assert "if-none-match" in response.headers["Access-Control-Allow-Headers"].lower(), path
        assert "authorization" not in response.headers["Access-Control-Allow-Headers"].lower(), path


def test_writes_and_token_reads_get_no_cors(client, venue):
    slots = f"/api/v1/venues/{venue.id}/slots"
    preflight = client.options(slots, headers={**ORIGIN, "Access-Control-Request-Method": "POST",
                                               "Access-Control-Request-Headers": "authorization, content-type"})
    assert "Access-Control-Allow-Origin" not in preflight.headers
    posted = client.post(slots, json={}, headers=ORIGIN)
    assert posted.status_code == 401 and "Access-Control-Allow-Origin" not in posted.headers
    for path in ("/api/v1/bookings", "/api/v1/auth/token", "/api/v1/checkins"):
        preflight = client.options(path, headers={**ORIGIN, "Access-Control-Request-Method": "GET"})
        assert "Access-Control-Allow-Origin" not in preflight.headers, path
    for path in ("/open-data/", "/stats", "/venues"):  # the pages, with their session cookie
        assert "Access-Control-Allow-Origin" not in client.get(path, headers=ORIGIN).headers, path


def test_the_openapi_document_describes_304_and_if_none_match(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    for path in ("/api/v1/venues", "/api/v1/venues/{venue_id}", "/api/v1/venues/{venue_id}/slots",
                 "/api/v1/stats/summary", "/api/v1/checkin-keys"):
        operation = paths[path]["get"]
        assert "304" in operation["responses"], path
        assert "ETag" in operation["responses"]["200"]["headers"], path
        assert "If-None-Match" in {p["name"] for p in operation["parameters"] if p["in"] == "header"}, path
    assert "304" not in paths["/api/v1/bookings"]["get"]["responses"]


def test_another_worker_gives_the_same_tags(client, venue, scenario, database_url):
    """No per-process state: a second app (another gunicorn worker) tags the same answers alike and
    answers 304 to the first one's tags."""
    from app import create_app
    from tests.conftest import make_config

    paths = ["/api/v1/venues", f"/api/v1/venues/{venue.id}/slots", "/api/v1/stats/summary", "/api/v1/checkin-keys",
             "/open-data/datapackage.json"]
    tags = {path: client.get(path).headers["ETag"] for path in paths}
    other = create_app(make_config(database_url))
    try:
        other_client = other.test_client()
        for path, etag in tags.items():
            fresh = other_client.get(path)
            assert fresh.headers["ETag"] == etag, path
            assert other_client.get(path, headers={"If-None-Match": etag}).status_code == 304, path
    finally:
        with other.app_context():
            db.engine.dispose()
