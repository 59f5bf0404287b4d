"""GET /api/v1/venues, /api/v1/venues/<id>/slots and /api/v1/bookings refuse query parameters they do not know: a
misspelt filter (``?distrct=``) must not quietly answer with everything."""
from __future__ import annotations

import pytest

from tests import factories
from tests.factories import XUANWU


@pytest.fixture
def venue():
    return factories.venue()


def _paths(venue) -> list[str]:
    return ["/api/v1/venues", f"/api/v1/venues/{venue.id}/slots"]


def test_a_misspelt_filter_is_refused_naming_it(client, venue):
    response = client.get(f"/api/v1/venues?distrct={XUANWU}&lang=en")
    assert response.status_code == 400
    body = response.get_json()
    assert (body["error"], body["field"], body["parameters"]) == ("unknown_parameter", "distrct", ["distrct"])
    assert "distrct" in body["message"] and "Unknown parameter" in body["message"]


def test_every_unknown_parameter_is_named(client, venue):
    body = client.get(f"/api/v1/venues/{venue.id}/slots?form=2026-01-01&too=2026-01-02").get_json()
    assert (body["error"], body["field"], body["parameters"]) == ("unknown_parameter", "form", ["form", "too"])


def test_the_message_is_in_the_callers_language(client, venue):
    # The Chinese text comes with the catalogue (test_i18n_catalog checks every message has one).
    body = client.get("/api/v1/venues?distrct=1&lang=en").get_json()
    assert body["message"] == "Unknown parameter: distrct."


@pytest.mark.parametrize("query", ["lang=en", "lang=zh&mode=elder", "mode=standard"])
def test_the_language_and_mode_every_route_takes_are_accepted(client, venue, query):
    for path in _paths(venue):
        assert client.get(f"{path}?{query}").status_code == 200, path


def test_the_documented_filters_are_still_accepted(client, venue):
    assert client.get(f"/api/v1/venues?q=科技&district={XUANWU}&type=comprehensive_museum&theme=general+science&grade=3&free=1"
                      "&page=1&per_page=5").status_code == 200
    assert client.get(f"/api/v1/venues/{venue.id}/slots?from=2026-01-01&to=2026-01-31").status_code == 200


def test_the_openapi_document_lists_the_language_and_mode(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    for path in ("/api/v1/venues", "/api/v1/venues/{venue_id}/slots"):
        names = {p["name"] for p in paths[path]["get"]["parameters"]}
        assert {"lang", "mode"} <= names, path
        assert "unknown_parameter" in paths[path]["get"]["description"]


def _bearer() -> dict:
    return {"Authorization": f"Bearer {factories.user_token(factories.user('citizen'))}"}


def test_the_callers_bookings_refuse_a_misspelt_filter(client):
    response = client.get("/api/v1/bookings?form=2026-01-01&wen=past&lang=en", headers=_bearer())
    assert response.status_code == 400
    body = response.get_json()
    assert (body["error"], body["field"], body["parameters"]) == ("unknown_parameter", "form", ["form", "wen"])
    assert body["message"] == "Unknown parameters: form, wen."


@pytest.mark.parametrize("query", ["lang=en&mode=elder", "when=past&from=2026-01-01&to=2026-01-31&page=1&per_page=5"])
def test_the_callers_bookings_still_take_the_documented_parameters(client, query):
    assert client.get(f"/api/v1/bookings?{query}", headers=_bearer()).status_code == 200


def test_the_openapi_document_lists_the_language_and_mode_of_the_callers_bookings(client):
    listing = client.get("/api/v1/openapi.json").get_json()["paths"]["/api/v1/bookings"]["get"]
    assert {"lang", "mode"} <= {p["name"] for p in listing["parameters"]}
    assert "unknown_parameter" in listing["description"]
