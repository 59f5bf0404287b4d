"""The booking API: tokens, booking, idempotency, errors with machine codes, cancelling."""
from __future__ import annotations

from sqlalchemy import select

from app.bookings.models import Booking, BookingStatus
from app.extensions import db
from app.scheduling.models import Slot
from tests import factories


def _token(client, user) -> dict:
    response = client.post("/api/v1/auth/token", json={"email": user.email, "password": "password123"})
    assert response.status_code == 201, response.get_json()
    return {"Authorization": f"Bearer {response.get_json()['token']}"}


def test_a_token_is_issued_for_good_credentials_only(client):
    citizen = factories.user("citizen")
    assert client.post("/api/v1/auth/token", json={"email": citizen.email, "password": "wrong-one"}).status_code == 401
    assert client.post("/api/v1/auth/token", data="not json").get_json()["error"] == "invalid_json"
    body = client.post("/api/v1/auth/token", json={"email": citizen.email, "password": "password123"}).get_json()
    assert body["token"].startswith("sv_") and body["expires_at"]


def test_citizen_books_through_the_api(client):
    slot = factories.slot(capacity=10)
    headers = _token(client, factories.user("citizen"))
    response = client.post("/api/v1/bookings", json={"slot_id": slot.id, "party_size": 3}, headers=headers)
    assert response.status_code == 201
    body = response.get_json()
    assert body["status"] == "confirmed" and body["seats"] == 3 and body["slot"]["id"] == slot.id
    assert body["slot"]["start"].endswith("+08:00")
    assert client.get(f"/api/v1/bookings/{body['id']}", headers=headers).get_json()["reference"] == body["reference"]


def test_the_same_idempotency_key_returns_the_same_booking(client):
    slot = factories.slot()
    headers = {**_token(client, factories.user("citizen")), "Idempotency-Key": "abc-123"}
    first = client.post("/api/v1/bookings", json={"slot_id": slot.id, "party_size": 1}, headers=headers)
    again = client.post("/api/v1/bookings", json={"slot_id": slot.id, "party_size": 1}, headers=headers)
    assert first.get_json()["id"] == again.get_json()["id"]
    assert db.session.scalar(select(db.func.count(Booking.id))) == 1


def test_errors_carry_machine_codes(client):
    slot = factories.slot(capacity=1)
    school_slot = factories.slot(audience="school")
    headers = _token(client, factories.user("citizen"))
    cases = [
        ({"slot_id": slot.id, "party_size": 9}, 400, "party_too_large"),
        ({"slot_id": slot.id, "party_size": 0}, 400, "invalid_party_size"),
        ({"slot_id": slot.id, "party_size": 2, "children": -1}, 400, "invalid_children"),
        ({"slot_id": slot.id, "party_size": 2, "children": 1, "guardian_confirmed": "yes"}, 400,
         "invalid_parameter"),
        ({"slot_id": slot.id, "party_size": 1, "waitlist": 1}, 400, "invalid_parameter"),
        ({"slot_id": slot.id, "party_size": 2, "children": 2, "guardian_confirmed": True}, 400,
         "guardian_not_counted"),
        ({"slot_id": slot.id, "party_size": "two"}, 400, "invalid_parameter"),
        ({"slot_id": 99999, "party_size": 1}, 404, "not_found"),
        ({"slot_id": school_slot.id, "party_size": 1}, 400, "wrong_audience"),
        ({"party_size": 1}, 400, "invalid_parameter"),
    ]
    for body, status, code in cases:
        response = client.post("/api/v1/bookings", json=body, headers=headers)
        assert (response.status_code, response.get_json()["error"]) == (status, code), body
        assert response.get_json()["message"]
    assert client.post("/api/v1/bookings", json={"slot_id": slot.id, "party_size": 1}, headers=headers).status_code == 201
    duplicate = client.post("/api/v1/bookings", json={"slot_id": slot.id, "party_size": 1}, headers=headers)
    assert (duplicate.status_code, duplicate.get_json()["error"]) == (409, "duplicate_booking")
    other = _token(client, factories.user("citizen"))
    full = client.post("/api/v1/bookings", json={"slot_id": slot.id, "party_size": 1}, headers=other)
    assert (full.status_code, full.get_json()["error"]) == (409, "slot_full")


def test_teacher_books_a_class_and_ratio_errors_are_explained(client):
    slot = factories.slot(audience="school", days_ahead=10, capacity=100)
    headers = _token(client, factories.user("teacher"))
    short = client.post("/api/v1/bookings", headers=headers, json={
        "slot_id": slot.id, "students": 40, "adults": 1, "grade": 4, "class_name": "四年级2班"})
    assert (short.status_code, short.get_json()["error"]) == (400, "adult_ratio")
    ok = client.post("/api/v1/bookings", headers=headers, json={
        "slot_id": slot.id, "students": 40, "adults": 2, "grade": 4, "class_name": "四年级2班"})
    assert ok.status_code == 201 and ok.get_json()["status"] == "pending" and ok.get_json()["seats"] == 42


def test_a_class_name_longer_than_the_page_allows_is_refused_by_the_api_too(client):
    slot = factories.slot(audience="school", days_ahead=10, capacity=100)
    headers = _token(client, factories.user("teacher"))
    body = {"slot_id": slot.id, "students": 30, "adults": 2, "grade": 4}
    long = client.post("/api/v1/bookings", headers=headers, json={**body, "class_name": "班" * 41})
    assert (long.status_code, long.get_json()["error"], long.get_json()["field"]) == \
        (400, "class_name_too_long", "class_name")
    assert db.session.scalar(select(db.func.count(Booking.id))) == 0
    fits = client.post("/api/v1/bookings", headers=headers, json={**body, "class_name": "班" * 40})
    assert fits.status_code == 201


def test_cancel_through_the_api_frees_the_places(client):
    slot = factories.slot()
    headers = _token(client, factories.user("citizen"))
    booking = client.post("/api/v1/bookings", json={"slot_id": slot.id, "party_size": 2}, headers=headers).get_json()
    response = client.post(f"/api/v1/bookings/{booking['id']}/cancel", headers=headers)
    assert response.status_code == 200 and response.get_json()["status"] == "cancelled"
    db.session.expire_all()
    assert db.session.get(Slot, slot.id).taken == 0


def test_no_token_no_booking_and_others_bookings_are_not_found(client):
    slot = factories.slot()
    assert client.post("/api/v1/bookings", json={"slot_id": slot.id, "party_size": 1}).status_code == 401
    bad = client.post("/api/v1/bookings", json={"slot_id": slot.id, "party_size": 1},
                      headers={"Authorization": "Bearer sv_forged"})
    assert (bad.status_code, bad.get_json()["error"]) == (401, "unauthorized")
    owner = _token(client, factories.user("citizen"))
    booking = client.post("/api/v1/bookings", json={"slot_id": slot.id, "party_size": 1}, headers=owner).get_json()
    stranger = _token(client, factories.user("citizen"))
    assert client.get(f"/api/v1/bookings/{booking['id']}", headers=stranger).status_code == 404
    assert client.post(f"/api/v1/bookings/{booking['id']}/cancel", headers=stranger).status_code == 404
    assert db.session.scalar(select(Booking.status)) == BookingStatus.CONFIRMED


def test_the_bearer_scheme_is_read_whatever_its_case(client):
    slot = factories.slot()
    secret = _token(client, factories.user("citizen"))["Authorization"].split(" ", 1)[1]
    for scheme in ("bearer", "BEARER"):
        answer = client.get("/api/v1/bookings", headers={"Authorization": f"{scheme} {secret}"})
        assert answer.status_code == 200, scheme
    basic = client.post("/api/v1/bookings", json={"slot_id": slot.id, "party_size": 1},
                        headers={"Authorization": f"Basic {secret}"})
    assert (basic.status_code, basic.get_json()["error"]) == (401, "unauthorized")


def test_a_password_change_revokes_api_tokens(client, auth):
    citizen = factories.user("citizen")
    headers = _token(client, citizen)
    assert client.get("/api/v1/bookings", headers=headers).status_code == 200
    auth.login(citizen.email)
    client.post("/me/password", data={"current_password": "password123", "new_password": "another-pass-9",
                                      "confirm_password": "another-pass-9", "confirm": "another-pass-9"})
    auth.logout()
    assert client.get("/api/v1/bookings", headers=headers).status_code == 401


def test_a_class_may_ask_only_for_one_of_the_venues_active_programs(client):
    slot = factories.slot(audience="school", days_ahead=10, capacity=100)
    elsewhere = factories.program(factories.venue())
    headers = _token(client, factories.user("teacher"))
    body = {"slot_id": slot.id, "students": 30, "adults": 2, "grade": 4, "class_name": "四年级2班"}
    for program_id in (elsewhere.id, 999_999, 2**31, -2**31 - 1, 10**12):
        response = client.post("/api/v1/bookings", headers=headers, json={**body, "program_id": program_id})
        assert (response.status_code, response.get_json()["error"], response.get_json()["field"]) == \
            (400, "invalid_program", "program_id"), program_id
    own = factories.program(slot.venue)
    assert client.post("/api/v1/bookings", headers=headers, json={**body, "program_id": own.id}).status_code == 201


def test_a_nul_character_anywhere_in_the_json_is_refused_with_the_member_named(client):
    slot = factories.slot(audience="school", days_ahead=10, capacity=100)
    teacher = factories.user("teacher")
    headers = _token(client, teacher)
    body = {"slot_id": slot.id, "students": 30, "adults": 2, "grade": 4, "class_name": "a\x00b"}
    refused = client.post("/api/v1/bookings", headers=headers, json=body)
    assert (refused.status_code, refused.get_json()["error"], refused.get_json()["field"]) == \
        (400, "invalid_parameter", "class_name")
    token = client.post("/api/v1/auth/token", json={"email": "\x00x", "password": "p"})
    assert (token.status_code, token.get_json()["field"]) == (400, "email")
    booked = client.post("/api/v1/bookings", headers=headers, json={**body, "class_name": "四年级2班"}).get_json()
    cancel = client.post(f"/api/v1/bookings/{booked['id']}/cancel", headers=headers, json={"reason": "a\x00b"})
    assert (cancel.status_code, cancel.get_json()["field"]) == (400, "reason")
    assert db.session.get(Booking, booked["id"]).status != BookingStatus.CANCELLED


def test_a_ticket_code_is_given_only_to_those_who_may_see_the_ticket_and_reads_are_logged_and_not_stored(client):
    """An admin may read a booking, as on its page, but not its ticket: the page shows no QR to them,
    and the API gives them no code. Their read is logged; no answer for a caller is cached."""
    from app.privacy.models import PersonalDataAccess

    citizen = factories.user("citizen")
    slot = factories.slot(capacity=10)
    booker = _token(client, citizen)
    booking_id = client.post("/api/v1/bookings", json={"slot_id": slot.id, "party_size": 1},
                             headers=booker).get_json()["id"]
    manager = factories.user("venue_manager", venue=slot.venue)

    own = client.get(f"/api/v1/bookings/{booking_id}", headers=booker)
    assert own.get_json()["code"] and own.headers["Cache-Control"] == "private, no-store"
    assert client.get("/api/v1/bookings", headers=booker).headers["Cache-Control"] == "private, no-store"
    assert client.get(f"/api/v1/bookings/{booking_id}", headers=_token(client, manager)).get_json()["code"]
    admin = factories.user("city_admin")
    answer = client.get(f"/api/v1/bookings/{booking_id}", headers=_token(client, admin))
    assert answer.status_code == 200 and answer.get_json()["code"] is None
    readers = db.session.scalars(select(PersonalDataAccess.actor_id).where(PersonalDataAccess.booking_id == booking_id))
    assert sorted(readers) == sorted([manager.id, admin.id])  # the booker's own reads are not logged
    assert "no-store" not in client.get("/api/v1/openapi.json").headers.get("Cache-Control", "")
