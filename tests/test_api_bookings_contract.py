"""The booking API keeps its documented contract: an Idempotency-Key stands for one request, query
enums are checked, and a cancellation's body, when sent, is JSON."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from app.bookings.models import Booking, BookingStatus
from app.extensions import db
from tests import factories


def _headers(person, key: str | None = None) -> dict:
    headers = {"Authorization": f"Bearer {factories.user_token(person)}"}
    if key:
        headers["Idempotency-Key"] = key
    return headers


def _bookings() -> list[tuple[int, int]]:
    return [(b.slot_id, b.seats) for b in db.session.scalars(select(Booking).order_by(Booking.id))]


def test_a_key_sent_again_with_another_slot_is_refused_and_books_nothing(client):
    first_slot, other_slot = factories.slot(), factories.slot(days_ahead=3)
    headers = _headers(factories.user("citizen"), "abc")
    first = client.post("/api/v1/bookings", json={"slot_id": first_slot.id, "party_size": 1}, headers=headers)
    assert first.status_code == 201
    again = client.post("/api/v1/bookings", json={"slot_id": other_slot.id, "party_size": 1}, headers=headers)
    assert again.status_code == 409
    body = again.get_json()
    assert (body["error"], body["field"]) == ("idempotency_key_reused", "Idempotency-Key") and body["message"]
    assert _bookings() == [(first_slot.id, 1)]


@pytest.mark.parametrize("changed", [{"party_size": 2}, {"party_size": 2, "children": 1, "guardian_confirmed": True}])
def test_a_key_sent_again_with_another_party_is_refused(client, changed):
    slot = factories.slot()
    headers = _headers(factories.user("citizen"), "party-key")
    assert client.post("/api/v1/bookings", json={"slot_id": slot.id, "party_size": 1}, headers=headers).status_code == 201
    again = client.post("/api/v1/bookings", json={"slot_id": slot.id, **changed}, headers=headers)
    assert (again.status_code, again.get_json()["error"]) == (409, "idempotency_key_reused")
    assert _bookings() == [(slot.id, 1)]


def test_a_retry_of_the_same_request_still_gets_the_same_booking(client):
    slot = factories.slot()
    headers = _headers(factories.user("citizen"), "retry")
    body = {"slot_id": slot.id, "party_size": 2, "children": 0}
    first = client.post("/api/v1/bookings", json=body, headers=headers)
    again = client.post("/api/v1/bookings", json={"slot_id": slot.id, "party_size": 2}, headers=headers)
    assert first.status_code == again.status_code == 201
    assert first.get_json()["id"] == again.get_json()["id"]


def test_a_teachers_key_sent_again_for_another_class_is_refused_but_a_retry_is_not(client):
    slot = factories.slot(audience="school", days_ahead=10, capacity=100)
    headers = _headers(factories.user("teacher"), "class-key")
    body = {"slot_id": slot.id, "students": 30, "adults": 2, "grade": 4, "class_name": "四年级2班"}
    assert client.post("/api/v1/bookings", json=body, headers=headers).status_code == 201
    # The same class written with a full-width digit is the same request.
    retry = client.post("/api/v1/bookings", json={**body, "class_name": "四年级２班"}, headers=headers)
    assert retry.status_code == 201
    other = client.post("/api/v1/bookings", json={**body, "class_name": "四年级3班"}, headers=headers)
    assert (other.status_code, other.get_json()["error"]) == (409, "idempotency_key_reused")
    bigger = client.post("/api/v1/bookings", json={**body, "students": 35}, headers=headers)
    assert (bigger.status_code, bigger.get_json()["error"]) == (409, "idempotency_key_reused")
    assert _bookings() == [(slot.id, 32)]


def test_the_openapi_document_describes_the_reused_key(client):
    post = client.get("/api/v1/openapi.json").get_json()["paths"]["/api/v1/bookings"]["post"]
    assert "idempotency_key_reused" in post["description"]
    header = next(p for p in post["parameters"] if p["name"] == "Idempotency-Key")
    assert "idempotency_key_reused" in header["description"] and "409" in post["responses"]


@pytest.mark.parametrize("when", ["bogus", "UPCOMING", "", "past "])
def test_an_unknown_when_is_a_400_naming_the_parameter(client, when):
    response = client.get(f"/api/v1/bookings?when={when}", headers=_headers(factories.user("citizen")))
    assert response.status_code == 400
    assert (response.get_json()["error"], response.get_json()["field"]) == ("invalid_parameter", "when")


def test_when_past_and_upcoming_list_the_matching_bookings(client):
    citizen = factories.user("citizen")
    booking = factories.booked_visit(factories.slot(), citizen)
    headers = _headers(citizen)
    upcoming = client.get("/api/v1/bookings", headers=headers).get_json()["items"]
    assert [b["id"] for b in upcoming] == [booking.id]
    assert client.get("/api/v1/bookings?when=upcoming", headers=headers).get_json()["items"] == upcoming
    assert client.get("/api/v1/bookings?when=past", headers=headers).get_json()["items"] == []


def test_a_cancellation_with_a_body_that_is_not_json_is_refused_and_cancels_nothing(client):
    citizen = factories.user("citizen")
    booking = factories.booked_visit(factories.slot(days_ahead=5), citizen)
    headers = {**_headers(citizen), "Content-Type": "application/json"}
    response = client.post(f"/api/v1/bookings/{booking.id}/cancel", data="garbage", headers=headers)
    assert (response.status_code, response.get_json()["error"]) == (400, "invalid_json")
    db.session.expire_all()
    assert db.session.get(Booking, booking.id).status == BookingStatus.CONFIRMED


@pytest.mark.parametrize("body", [None, "{}", '{"reason": "生病"}'])
def test_a_cancellation_needs_no_body_and_takes_a_json_reason(client, body):
    citizen = factories.user("citizen")
    booking = factories.booked_visit(factories.slot(days_ahead=5), citizen)
    headers = {**_headers(citizen), "Content-Type": "application/json"}
    response = client.post(f"/api/v1/bookings/{booking.id}/cancel", data=body, headers=headers)
    assert response.status_code == 200 and response.get_json()["status"] == "cancelled"


@pytest.mark.parametrize("reason", [{"text": "生病"}, ["生病"], 42, True, "很" * 501])
def test_a_cancellation_reason_that_is_not_text_of_at_most_500_characters_is_refused(client, reason):
    citizen = factories.user("citizen")
    booking = factories.booked_visit(factories.slot(days_ahead=5), citizen)
    response = client.post(f"/api/v1/bookings/{booking.id}/cancel", json={"reason": reason}, headers=_headers(citizen))
    body = response.get_json()
    assert (response.status_code, body["error"], body["field"]) == (400, "invalid_parameter", "reason")
    db.session.expire_all()
    assert db.session.get(Booking, booking.id).status == BookingStatus.CONFIRMED


def test_the_idempotency_key_travels_only_in_its_header(client):
    """The body once took an undocumented ``request_key`` alias, refused with the header's wording."""
    slot, other = factories.slot(), factories.slot(days_ahead=3)
    headers = _headers(factories.user("citizen"))
    first = client.post("/api/v1/bookings", json={"slot_id": slot.id, "party_size": 1, "request_key": "k"},
                        headers=headers)
    assert first.status_code == 201
    # Not a key: another slot under the same body member is a new booking, not idempotency_key_reused.
    second = client.post("/api/v1/bookings", json={"slot_id": other.id, "party_size": 1, "request_key": "k"},
                         headers=headers)
    assert second.status_code == 201 and second.get_json()["id"] != first.get_json()["id"]
    third = client.post("/api/v1/bookings", json={"slot_id": factories.slot(days_ahead=4).id, "party_size": 1,
                                                  "request_key": 123}, headers=headers)
    assert third.status_code == 201


def test_the_openapi_document_describes_every_body_member_the_booking_api_reads(client):
    post = client.get("/api/v1/openapi.json").get_json()["paths"]["/api/v1/bookings"]["post"]
    variants = post["requestBody"]["content"]["application/json"]["schema"]["oneOf"]
    documented = set().union(*(variant["properties"] for variant in variants))
    assert "request_key" not in documented
    teacher = next(v for v in variants if v["title"] == "Teacher")
    assert "null" in teacher["properties"]["program_id"]["type"]  # null is read as no program



def test_one_request_sent_twice_at_once_gets_the_same_booking_both_times(app):
    """A client's retry after a timeout, sent while the first attempt is still running: both answers
    are the one booking, as the OpenAPI text promises of a repeated key (they raced the key lookup)."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    slot_id = factories.slot(capacity=100).id
    for round_ in range(8):
        headers = _headers(factories.user("citizen"), f"retry-{round_}")
        barrier = threading.Barrier(2)

        def send(_):
            barrier.wait()
            response = app.test_client().post("/api/v1/bookings", json={"slot_id": slot_id, "party_size": 2},
                                              headers=headers)
            return response.status_code, response.get_json().get("id")

        with ThreadPoolExecutor(max_workers=2) as pool:
            answers = list(pool.map(send, range(2)))
        assert [status for status, _ in answers] == [201, 201], answers
        assert answers[0][1] == answers[1][1], answers
    db.session.expire_all()
    assert len(_bookings()) == 8
