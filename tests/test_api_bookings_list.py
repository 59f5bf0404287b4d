"""GET /api/v1/bookings: the caller's bookings, by the days of their slots and a page at a time."""
from __future__ import annotations

from datetime import timedelta

import pytest

from app.core.time import local_today
from tests import factories


def _headers(person) -> dict:
    return {"Authorization": f"Bearer {factories.user_token(person)}"}


def _visits(citizen, days: list[int]) -> dict[int, int]:
    """A confirmed party on a slot ``n`` days from today for each ``n``: {n: booking id}."""
    venue = factories.venue()
    return {n: factories.confirmed_visit(factories.slot(venue, day=local_today() + timedelta(days=n)), citizen).id
            for n in days}


def _ids(client, query: str, headers) -> list[int]:
    response = client.get(f"/api/v1/bookings{query}", headers=headers)
    assert response.status_code == 200, response.get_json()
    return [item["id"] for item in response.get_json()["items"]]


def test_from_and_to_keep_the_bookings_of_those_days_inclusive(client):
    citizen = factories.user("citizen")
    ids = _visits(citizen, [1, 2, 3, 5])
    today, headers = local_today(), _headers(citizen)
    query = f"?from={today + timedelta(days=2)}&to={today + timedelta(days=3)}"
    assert _ids(client, query, headers) == [ids[2], ids[3]]
    assert _ids(client, f"?from={today + timedelta(days=3)}", headers) == [ids[3], ids[5]]
    assert _ids(client, f"?to={today + timedelta(days=1)}", headers) == [ids[1]]


def test_a_range_of_days_without_when_lists_past_and_coming_bookings_of_those_days(client):
    citizen = factories.user("citizen")
    ids = _visits(citizen, [-3, 2])
    today, headers = local_today(), _headers(citizen)
    query = f"?from={today - timedelta(days=5)}&to={today + timedelta(days=5)}"
    assert _ids(client, query, headers) == [ids[-3], ids[2]]
    assert _ids(client, query + "&when=past", headers) == [ids[-3]]
    assert _ids(client, query + "&when=upcoming", headers) == [ids[2]]


def test_bookings_come_a_page_at_a_time_with_the_total(client):
    citizen = factories.user("citizen")
    ids = _visits(citizen, [1, 2, 3, 4, 5])
    headers = _headers(citizen)
    first = client.get("/api/v1/bookings?per_page=2", headers=headers).get_json()
    assert ([b["id"] for b in first["items"]], first["page"], first["per_page"], first["total"]) == (
        [ids[1], ids[2]], 1, 2, 5)
    assert _ids(client, "?per_page=2&page=3", headers) == [ids[5]]
    assert _ids(client, "?per_page=2&page=4", headers) == []


def test_without_paging_a_client_still_gets_up_to_100_bookings(client):
    citizen = factories.user("citizen")
    _visits(citizen, [1, 2])
    body = client.get("/api/v1/bookings", headers=_headers(citizen)).get_json()
    assert (len(body["items"]), body["page"], body["per_page"], body["total"]) == (2, 1, 100, 2)


@pytest.mark.parametrize("query, field", [
    ("?from=2026-13-01", "from"),
    ("?from=yesterday", "from"),
    ("?to=1999-12-31", "to"),
    ("?from=2026-05-02&to=2026-05-01", "to"),
    ("?page=0", "page"),
    ("?page=two", "page"),
    ("?page=99999", "page"),
    ("?per_page=101", "per_page"),
    ("?per_page=-1", "per_page"),
    ("?per_page=²", "per_page"),
])
def test_a_bad_date_or_page_is_a_400_naming_the_parameter(client, query, field):
    response = client.get(f"/api/v1/bookings{query}&lang=en", headers=_headers(factories.user("citizen")))
    assert response.status_code == 400
    body = response.get_json()
    assert (body["error"], body["field"]) == ("invalid_parameter", field) and body["message"]


def test_the_openapi_document_describes_the_range_and_the_paging(client):
    operation = client.get("/api/v1/openapi.json").get_json()["paths"]["/api/v1/bookings"]["get"]
    assert {p["name"] for p in operation["parameters"]} >= {"when", "from", "to", "page", "per_page"}
    schema = operation["responses"]["200"]["content"]["application/json"]["schema"]
    assert set(schema["required"]) == {"items", "page", "per_page", "total"}
