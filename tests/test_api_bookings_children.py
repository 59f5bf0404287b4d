"""Children under 14 in a citizen's party, over the API: the same rule as the booking pages
(``services.check_party``), refused with a machine code and the field at fault, shown in the
booking's JSON and described in the OpenAPI document. A client that sends neither field books
a party of adults, as before the fields existed."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from app.bookings.models import Booking
from app.extensions import db
from tests import factories


def _headers(person) -> dict:
    return {"Authorization": f"Bearer {factories.user_token(person)}"}


def _book(client, body: dict):
    return client.post("/api/v1/bookings", json=body, headers=_headers(factories.user("citizen")))


def _nothing_booked() -> bool:
    return db.session.scalar(select(db.func.count(Booking.id))) == 0


def test_children_without_the_guardians_confirmation_are_refused_naming_the_field(client):
    slot = factories.slot()
    response = _book(client, {"slot_id": slot.id, "party_size": 3, "children": 2})
    body = response.get_json()
    assert (response.status_code, body["error"], body["field"]) == (400, "guardian_required", "guardian_confirmed")
    assert body["message"] and _nothing_booked()
    refused = _book(client, {"slot_id": slot.id, "party_size": 3, "children": 2, "guardian_confirmed": False})
    assert (refused.status_code, refused.get_json()["error"]) == (400, "guardian_required")


@pytest.mark.parametrize("children,code", [(4, "invalid_children"), (-1, "invalid_children"),
                                           (3, "guardian_not_counted")])
def test_children_outside_the_party_are_refused_on_the_children_field(client, children, code):
    response = _book(client, {"slot_id": factories.slot().id, "party_size": 3, "children": children,
                              "guardian_confirmed": True})
    body = response.get_json()
    assert (response.status_code, body["error"], body["field"]) == (400, code, "children")
    assert _nothing_booked()


@pytest.mark.parametrize("value", [None, "2", 1.5, True])
def test_children_that_are_not_a_whole_number_are_refused(client, value):
    response = _book(client, {"slot_id": factories.slot().id, "party_size": 3, "children": value,
                              "guardian_confirmed": True})
    body = response.get_json()
    assert (response.status_code, body["error"], body["field"]) == (400, "invalid_parameter", "children")


def test_a_guardian_books_children_and_the_booking_says_so(client):
    slot = factories.slot()
    response = _book(client, {"slot_id": slot.id, "party_size": 3, "children": 2, "guardian_confirmed": True})
    assert response.status_code == 201
    body = response.get_json()
    assert (body["party_size"], body["children"], body["guardian_confirmed"]) == (3, 2, True)
    again = client.get(f"/api/v1/bookings/{body['id']}", headers=_headers(db.session.get(Booking, body["id"]).user))
    assert (again.get_json()["children"], again.get_json()["guardian_confirmed"]) == (2, True)


def test_a_client_that_sends_neither_field_books_a_party_without_children(client):
    response = _book(client, {"slot_id": factories.slot().id, "party_size": 2})
    assert response.status_code == 201
    body = response.get_json()
    assert (body["children"], body["guardian_confirmed"]) == (0, False)


def test_a_confirmation_with_no_children_confirms_nothing(client):
    """As on the pages: with no children there is nobody to be guardian of, so nothing is recorded."""
    response = _book(client, {"slot_id": factories.slot().id, "party_size": 2, "children": 0,
                              "guardian_confirmed": True})
    assert response.status_code == 201 and response.get_json()["guardian_confirmed"] is False
    assert db.session.scalar(select(Booking.guardian_confirmed)) is False


def test_the_openapi_document_describes_children_and_the_guardians_confirmation(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    post = doc["paths"]["/api/v1/bookings"]["post"]
    for code in ("guardian_required", "guardian_not_counted", "invalid_children"):
        assert code in post["description"]
    citizen = next(s for s in post["requestBody"]["content"]["application/json"]["schema"]["oneOf"]
                   if s["title"] == "Citizen")
    children, confirmed = citizen["properties"]["children"], citizen["properties"]["guardian_confirmed"]
    assert (children["default"], confirmed["default"]) == (0, False)
    assert "guardian_required" in confirmed["description"] and "party_size" in children["description"]
    booking = doc["components"]["schemas"]["Booking"]["properties"]
    assert booking["guardian_confirmed"]["type"] == "boolean"
