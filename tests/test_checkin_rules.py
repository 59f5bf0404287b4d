"""The gate's rules: every answer of the result vocabulary, through POST /api/v1/checkins and the service."""
from __future__ import annotations

from datetime import datetime, time, timedelta, timezone

import pytest
from sqlalchemy import func, select

from app.bookings import services as booking_services
from app.bookings.models import Booking, BookingStatus
from app.checkin import services, tickets
from app.checkin.models import CheckIn
from app.core.time import LOCAL_TZ, from_local, local_today
from app.extensions import db
from tests import factories


@pytest.fixture(autouse=True)
def _key_dir(app, tmp_path):
    app.config["TICKET_KEY_DIR"] = str(tmp_path / "ticket_keys")


def _scan(client, secret: str, code: str, **body):
    return client.post("/api/v1/checkins", json={"code": code, **body}, headers={"Authorization": f"Bearer {secret}"})


def _status(booking_id: int) -> BookingStatus:
    db.session.expire_all()
    return db.session.get(Booking, booking_id).status


def _attempts(booking_id: int | None = None) -> list[CheckIn]:
    db.session.expire_all()
    query = select(CheckIn).order_by(CheckIn.id)
    if booking_id is not None:
        query = query.where(CheckIn.booking_id == booking_id)
    return list(db.session.scalars(query))


@pytest.fixture
def visit(app):
    """A confirmed party of 3 on a slot under way, its code, and a gate token of its venue."""
    slot = factories.slot_at()
    booking = factories.confirmed_visit(slot, party_size=3)
    return booking, tickets.code_for_booking(booking), factories.gate_token(slot.venue)


def test_a_valid_ticket_is_admitted_and_counted(client, visit):
    booking, code, gate = visit
    response = _scan(client, gate, code, nonce="n-1")
    assert response.status_code == 200
    body = response.get_json()
    assert body["result"] == "ok" and body["admitted"] is True
    assert body["headcount"]["persons"] == 3 and body["booking"]["reference"] == booking.reference
    assert _status(booking.id) == BookingStatus.CHECKED_IN
    [admission] = _attempts(booking.id)
    assert admission.persons == 3 and admission.gate == "东门 1 号闸机" and admission.token_id is not None


def test_a_second_scan_answers_already_checked_in_with_when_and_where(client, visit):
    booking, code, gate = visit
    _scan(client, gate, code, gate="2")
    second = _scan(client, gate, code).get_json()
    assert second["result"] == "already_checked_in"
    assert second["previous"]["gate"] == "2" and second["previous"]["at"]
    assert "2" in second["message"]
    assert db.session.scalar(select(func.sum(CheckIn.persons))) == 3


@pytest.mark.parametrize("role", ["venue_staff", "venue_manager"])
def test_a_ticket_first_scanned_by_a_person_naming_no_gate_is_still_said_where(client, visit, role):
    """A staff or manager token records no gate unless one is sent; the venue is then the place."""
    booking, code, _gate = visit
    venue = booking.slot.venue
    secret = factories.user_token(factories.user(role, venue=venue))
    assert _scan(client, secret, code).get_json()["result"] == "ok"
    for lang, name in (("zh", venue.name_zh), ("en", venue.name_en)):
        second = client.post(f"/api/v1/checkins?lang={lang}", json={"code": code},
                             headers={"Authorization": f"Bearer {secret}", "Accept-Language": lang}).get_json()
        assert second["result"] == "already_checked_in" and second["previous"]["at"]
        assert name in second["message"], second["message"]


def test_a_retry_with_the_same_nonce_answers_the_first_result_and_counts_once(client, visit):
    booking, code, gate = visit
    first = _scan(client, gate, code, nonce="same").get_json()
    retry = _scan(client, gate, code, nonce="same").get_json()
    assert first["result"] == retry["result"] == "ok"
    assert retry["replayed"] is True and retry["checkin"]["id"] == first["checkin"]["id"]
    assert len(_attempts(booking.id)) == 1


@pytest.mark.parametrize("presented", ["signed code", "booking number", "code with headcount"])
def test_the_first_answer_names_the_visit_as_its_replay_does(client, visit, presented):
    booking, code, gate = visit
    body = {"headcount": {"persons": 2}} if presented == "code with headcount" else {}
    sent = booking.reference if presented == "booking number" else code
    first = _scan(client, gate, sent, nonce="n", **body).get_json()
    replay = _scan(client, gate, sent, nonce="n", **body).get_json()
    assert first["result"] == "ok" and replay["replayed"] is True
    assert first["booking"] == replay["booking"]
    start = booking.slot.starts_at.replace(tzinfo=timezone.utc).astimezone(LOCAL_TZ)
    assert (first["booking"]["date"], first["booking"]["start"]) == (booking.slot.local_date.isoformat(),
                                                                     start.isoformat())


def test_a_nonce_sent_again_with_another_ticket_is_refused_not_replayed(client, visit):
    booking, code, gate = visit
    other = factories.confirmed_visit(booking.slot)
    assert _scan(client, gate, code, nonce="X").get_json()["result"] == "ok"
    for presented in ("GARBAGE", tickets.code_for_booking(other), other.reference):
        response = _scan(client, gate, presented, nonce="X")
        assert (response.status_code, response.get_json()["error"]) == (409, "nonce_reused"), presented
    assert _status(other.id) == BookingStatus.CONFIRMED and len(_attempts()) == 1
    # The same ticket typed as its booking number is the same ticket: a retry.
    assert _scan(client, gate, booking.reference, nonce="X").get_json()["replayed"] is True


def test_a_retried_refusal_keeps_its_first_answer_even_once_the_ticket_became_valid(app):
    slot = factories.slot(days_ahead=1)  # 09:00 local: an hour before is the same day, whenever the suite runs
    booking = factories.confirmed_visit(slot)
    staff = factories.user("venue_staff", venue=slot.venue)
    code = tickets.code_for_booking(booking)
    early = services.record_check_in(staff, code, nonce="k", now=slot.starts_at - timedelta(hours=1))
    db.session.commit()
    retry = services.record_check_in(staff, code, nonce="k", now=slot.starts_at)
    db.session.commit()
    assert early.result.value == retry.result.value == "too_early" and retry.replayed
    assert _status(booking.id) == BookingStatus.CONFIRMED
    assert services.record_check_in(staff, code, nonce="k2", now=slot.starts_at).result.value == "ok"


def test_garbage_and_truncated_codes_are_invalid(client, visit):
    booking, code, gate = visit
    for bad in ("hello", code[:60], code[:-1], code + "A", "SV" + "A" * 140, "SV" + "1" * 140, "SV", "🙂" * 10):
        response = _scan(client, gate, bad)
        assert response.status_code == 200, bad
        assert response.get_json()["result"] == "invalid_code", bad
    assert _status(booking.id) == BookingStatus.CONFIRMED


def test_a_tampered_code_is_invalid(client, visit):
    booking, code, gate = visit
    # Change one character inside the signed part (the party size): the signature no longer matches.
    position = 2 + 30
    tampered = code[:position] + ("B" if code[position] != "B" else "C") + code[position + 1:]
    body = _scan(client, gate, tampered).get_json()
    assert body["result"] == "invalid_code" and body["reason"] in ("bad_signature", "malformed")
    assert _status(booking.id) == BookingStatus.CONFIRMED


def test_an_unknown_booking_number_is_unknown_booking(client, visit):
    _booking, _code, gate = visit
    assert _scan(client, gate, "0000 1111 2222 3333").get_json()["result"] == "unknown_booking"


def test_a_typed_booking_number_checks_in_online(client, visit):
    booking, _code, gate = visit
    grouped = tickets.grouped(booking.reference.lower())
    assert _scan(client, gate, grouped).get_json()["result"] == "ok"
    assert _status(booking.id) == BookingStatus.CHECKED_IN


def test_staff_of_another_venue_get_wrong_venue(client, visit):
    booking, code, _gate = visit
    other_staff = factories.user("venue_staff")
    body = _scan(client, factories.user_token(other_staff), code).get_json()
    assert body["result"] == "wrong_venue" and "booking" not in body
    assert _status(booking.id) == BookingStatus.CONFIRMED


def test_a_gate_device_of_another_venue_gets_wrong_venue(client, visit):
    booking, code, _gate = visit
    other_gate = factories.gate_token(factories.venue())
    assert _scan(client, other_gate, code).get_json()["result"] == "wrong_venue"
    assert _scan(client, other_gate, booking.reference).get_json()["result"] == "wrong_venue"


def test_a_cancelled_booking_is_refused(client):
    slot = factories.slot(days_ahead=3)
    citizen = factories.user("citizen")
    booking = factories.booked_visit(slot, citizen)
    code = tickets.code_for_booking(booking)
    booking_services.cancel_booking(citizen, booking)
    db.session.commit()
    assert _scan(client, factories.gate_token(slot.venue), code).get_json()["result"] == "cancelled"


def test_a_booking_awaiting_approval_is_not_confirmed(client):
    slot = factories.slot_at()
    booking = factories.booked_visit(slot, factories.user("teacher"), now=slot.starts_at - timedelta(days=4))
    assert booking.status == BookingStatus.PENDING
    body = _scan(client, factories.gate_token(slot.venue), booking.reference).get_json()
    assert body["result"] == "not_confirmed"


def test_a_changed_bookings_old_code_is_refused_and_its_new_code_admits(client):
    slot = factories.slot(days_ahead=5, audience="school")
    teacher = factories.user("teacher")
    booking = factories.booked_visit(slot, teacher, students=30, adults=2)
    booking_services.approve_booking(factories.user("venue_manager", venue=slot.venue), booking)
    db.session.commit()
    old_code = tickets.code_for_booking(booking)
    booking_services.change_headcount(teacher, booking, students=25, adults=2)
    db.session.commit()
    new_code = tickets.code_for_booking(booking)
    staff = factories.user("venue_staff", venue=slot.venue)
    during = slot.starts_at + timedelta(minutes=5)
    refused = services.record_check_in(staff, old_code, now=during)
    assert (refused.result.value, refused.reason) == ("invalid_code", "superseded")
    assert services.record_check_in(staff, new_code, now=during).result.value == "ok"


@pytest.mark.parametrize(("moment", "expected"), [
    (time(8, 29), "too_early"),
    (time(8, 30), "ok"),
    (time(12, 0), "ok"),
    (time(12, 1), "too_late"),
])
def test_the_window_runs_from_30_minutes_before_the_start_until_the_end(app, moment, expected):
    slot = factories.slot(days_ahead=2, start=time(9, 0), end=time(12, 0))
    booking = factories.booked_visit(slot, factories.user("citizen"))
    staff = factories.user("venue_staff", venue=slot.venue)
    now = from_local(datetime.combine(slot.local_date, moment))
    assert services.record_check_in(staff, tickets.code_for_booking(booking), now=now).result.value == expected


def test_another_day_is_wrong_date(app):
    slot = factories.slot(days_ahead=2)
    booking = factories.booked_visit(slot, factories.user("citizen"))
    staff = factories.user("venue_staff", venue=slot.venue)
    day_before = from_local(datetime.combine(slot.local_date - timedelta(days=1), time(9, 0)))
    outcome = services.record_check_in(staff, tickets.code_for_booking(booking), now=day_before)
    assert outcome.result.value == "wrong_date"


def test_the_window_decides_across_midnight(app):
    day = local_today() + timedelta(days=3)
    slot = factories.slot(day=day, start=time(0, 10), end=time(1, 30))
    booking = factories.booked_visit(slot, factories.user("citizen"))
    staff = factories.user("venue_staff", venue=slot.venue)
    late_evening_before = from_local(datetime.combine(day - timedelta(days=1), time(23, 50)))
    assert services.record_check_in(staff, tickets.code_for_booking(booking),
                                    now=late_evening_before).result.value == "ok"


def test_a_class_is_admitted_with_the_headcount_that_arrived(client):
    slot = factories.slot_at()
    booking = factories.confirmed_visit(slot, factories.user("teacher"), students=30, adults=2)
    body = _scan(client, factories.gate_token(slot.venue), tickets.code_for_booking(booking),
                 headcount={"students": 27, "adults": 2}).get_json()
    assert body["result"] == "ok" and body["headcount"] == {"persons": 29, "students": 27, "adults": 2}
    [admission] = _attempts(booking.id)
    assert (admission.students, admission.adults, admission.persons) == (27, 2, 29)


def test_a_headcount_above_the_booking_is_refused_and_nothing_is_counted(client):
    slot = factories.slot_at()
    booking = factories.confirmed_visit(slot, factories.user("teacher"), students=30, adults=2)
    gate = factories.gate_token(slot.venue)
    code = tickets.code_for_booking(booking)
    response = _scan(client, gate, code, headcount={"students": 31, "adults": 2}, nonce="x")
    assert response.status_code == 422 and response.get_json()["error"] == "headcount_above_booking"
    assert _attempts() == [] and _status(booking.id) == BookingStatus.CONFIRMED
    assert _scan(client, gate, code, headcount={"students": 30, "adults": 2}, nonce="x").get_json()["result"] == "ok"


def test_a_class_headcount_of_nobody_says_not_to_admit_the_class(client):
    slot = factories.slot_at()
    booking = factories.confirmed_visit(slot, factories.user("teacher"), students=30, adults=2)
    response = client.post("/api/v1/checkins", json={"code": tickets.code_for_booking(booking),
                                                     "headcount": {"students": 0, "adults": 0}},
                           headers={"Authorization": f"Bearer {factories.gate_token(slot.venue)}",
                                    "Accept-Language": "en"})
    body = response.get_json()
    assert response.status_code == 400 and body["error"] == "invalid_headcount"
    assert "At least one student or adult must have arrived" in body["message"]
    assert "Do not admit" in body["message"]
    assert _attempts() == [] and _status(booking.id) == BookingStatus.CONFIRMED


def test_a_party_headcount_of_nobody_says_not_to_check_the_ticket_in(client, visit):
    booking, code, gate = visit
    response = client.post("/api/v1/checkins", json={"code": code, "headcount": 0},
                           headers={"Authorization": f"Bearer {gate}", "Accept-Language": "en"})
    assert response.status_code == 400 and response.get_json()["error"] == "invalid_headcount"
    assert "At least one person must have arrived" in response.get_json()["message"]
    assert _attempts() == [] and _status(booking.id) == BookingStatus.CONFIRMED


@pytest.mark.parametrize("headcount, field", [({"students": -3, "adults": 2}, "headcount.students"),
                                              ({"students": 30, "adults": 100_001}, "headcount.adults"),
                                              (-1, "headcount")],
                         ids=["negative", "too many", "negative party"])
def test_a_headcount_no_one_could_have_is_a_headcount_to_correct_in_the_gates_language(client, headcount, field):
    """The scanner keeps its headcount form open for ``invalid_headcount`` (static/js/scanner.js): a
    negative or impossible number is one, not a malformed request, and is named by its path."""
    slot = factories.slot_at()
    booking = factories.confirmed_visit(slot, factories.user("teacher"), students=30, adults=2)
    response = client.post("/api/v1/checkins", json={"code": tickets.code_for_booking(booking), "headcount": headcount},
                           headers={"Authorization": f"Bearer {factories.gate_token(slot.venue)}",
                                    "Accept-Language": "zh"})
    body = response.get_json()
    assert (response.status_code, body["error"], body["field"]) == (400, "invalid_headcount", field)
    assert body["message"] in ("请填写实际到达的人数：0 或以上。", "人数超过本票预约人数：请填写实际到达的人数。"), body
    assert _attempts() == [] and _status(booking.id) == BookingStatus.CONFIRMED


def test_a_second_scan_of_a_class_says_who_came_not_who_was_booked(client):
    slot = factories.slot_at()
    booking = factories.confirmed_visit(slot, factories.user("teacher"), students=30, adults=2,
                                        class_name="四年级2班")
    gate, code = factories.gate_token(slot.venue), tickets.code_for_booking(booking)
    assert _scan(client, gate, code, headcount={"students": 28, "adults": 3}, nonce="a").get_json()["result"] == "ok"
    again = client.post("/api/v1/checkins", json={"code": code, "nonce": "b"},
                        headers={"Authorization": f"Bearer {gate}", "Accept-Language": "en"}).get_json()
    assert again["result"] == "already_checked_in"
    assert "28 students" in again["party"] and "3 adults" in again["party"], again["party"]
    party_ticket = factories.confirmed_visit(slot, party_size=3)
    code = tickets.code_for_booking(party_ticket)
    assert _scan(client, gate, code, headcount=2, nonce="c").get_json()["result"] == "ok"
    again = client.post("/api/v1/checkins", json={"code": code, "nonce": "d"},
                        headers={"Authorization": f"Bearer {gate}", "Accept-Language": "en"}).get_json()
    assert (again["result"], again["party"]) == ("already_checked_in", "2 people")


def test_a_party_headcount_above_the_booking_is_refused(client, visit):
    booking, code, gate = visit
    assert _scan(client, gate, code, headcount=4).status_code == 422
    assert _scan(client, gate, code, headcount=2).get_json()["headcount"]["persons"] == 2


def test_a_headcount_refusal_counts_in_words(client):
    slot = factories.slot_at()
    gate = factories.gate_token(slot.venue)
    alone = tickets.code_for_booking(factories.confirmed_visit(slot, party_size=1))
    english = {"Accept-Language": "en"}
    refused = client.post("/api/v1/checkins", json={"code": alone, "headcount": 2},
                          headers={"Authorization": f"Bearer {gate}", **english})
    assert "This ticket is for 1 person:" in refused.get_json()["message"]
    school = factories.confirmed_visit(slot, factories.user("teacher"), students=12, adults=1)
    refused = client.post("/api/v1/checkins", json={"code": tickets.code_for_booking(school),
                                                    "headcount": {"students": 12, "adults": 2}},
                          headers={"Authorization": f"Bearer {gate}", **english})
    assert "This class booked 12 students, 1 adult:" in refused.get_json()["message"]


def test_every_attempt_is_recorded_for_the_audit(client, visit):
    booking, code, gate = visit
    staff = factories.user("venue_staff", venue=booking.venue)
    _scan(client, gate, "garbage", nonce="a")
    _scan(client, factories.user_token(staff), code, nonce="b", gate="西门")
    _scan(client, gate, code, nonce="c")
    rows = _attempts()
    assert [r.result.value for r in rows] == ["invalid_code", "ok", "already_checked_in"]
    assert [r.nonce for r in rows] == ["a", "b", "c"]
    assert rows[1].user_id == staff.id and rows[1].gate == "西门" and rows[0].token_id is not None
    assert [r.persons for r in rows] == [0, 3, 0] and all(r.scanned_at for r in rows)


def test_a_preview_answers_without_recording(client, visit):
    booking, code, gate = visit
    body = _scan(client, gate, code, preview=True).get_json()
    assert body["result"] == "ok" and body["preview"] is True and body["admitted"] is False
    assert _attempts() == [] and _status(booking.id) == BookingStatus.CONFIRMED


@pytest.mark.parametrize("lang, valid, not_yet, admitted_words", [
    ("en", "Valid: would admit 3 people.", "Not checked in yet.", "checked in now"),
    ("zh", "电子票有效：可入馆 3 人", "尚未核验入馆", "已核验入馆"),
])
def test_a_preview_says_what_would_happen_not_that_the_visitor_was_admitted(client, visit, lang, valid, not_yet,
                                                                           admitted_words):
    _booking, code, gate = visit
    body = client.post("/api/v1/checkins", json={"code": code, "preview": True},
                       headers={"Authorization": f"Bearer {gate}", "Accept-Language": lang}).get_json()
    assert body["result"] == "ok" and body["admitted"] is False
    assert body["message"].startswith(valid) and not_yet in body["message"]
    assert admitted_words not in body["message"]
    assert body["title"] == {"en": "Valid ticket", "zh": "电子票有效"}[lang]


def test_a_class_preview_says_it_would_admit_the_class_once_its_headcount_is_confirmed(client):
    slot = factories.slot_at()
    booking = factories.confirmed_visit(slot, factories.user("teacher"), students=30, adults=2)
    body = client.post("/api/v1/checkins", json={"code": tickets.code_for_booking(booking), "preview": True},
                       headers={"Authorization": f"Bearer {factories.gate_token(slot.venue)}",
                                "Accept-Language": "en"}).get_json()
    assert body["message"] == ("Valid: would admit 30 students, 2 adults once the headcount is confirmed. "
                               "Not checked in yet.")
    scanned = client.post("/api/v1/checkins", json={"code": tickets.code_for_booking(booking)},
                          headers={"Authorization": f"Bearer {factories.gate_token(slot.venue)}",
                                   "Accept-Language": "en"}).get_json()
    assert scanned["title"] == "Admitted" and scanned["message"] == "Valid ticket, checked in now. Welcome!"


def test_only_the_venues_staff_and_devices_may_check_in(client, visit):
    _booking, code, _gate = visit
    citizen_token = factories.user_token(factories.user("citizen"))
    assert _scan(client, citizen_token, code).status_code == 403
    assert client.post("/api/v1/checkins", json={"code": code}).status_code == 401
    assert _scan(client, "sv_not-a-token", code).status_code == 401


def test_a_revoked_gate_device_can_no_longer_check_in(client, visit):
    from app.accounts import tokens
    from app.accounts.models import ApiToken, TokenKind

    _booking, code, gate = visit
    tokens.revoke_token(db.session.scalar(select(ApiToken).where(ApiToken.kind == TokenKind.GATE)))
    db.session.commit()
    assert _scan(client, gate, code).status_code == 401


def test_malformed_requests_are_4xx_json(client, visit):
    _booking, code, gate = visit
    headers = {"Authorization": f"Bearer {gate}"}
    for body in (None, [], {"code": 5}, {"code": "  "}, {"code": code, "headcount": "many"},
                 {"code": code, "nonce": "x" * 65}, {"code": code, "headcount": {"students": -1, "adults": 2}},
                 {"code": "A" * 400}, {"code": code, "nonce": "n\x00"}, {"code": code, "gate": "\x00"},
                 {"code": code, "headcount": {"persons\x00": 1}}):
        response = client.post("/api/v1/checkins", json=body, headers=headers)
        assert 400 <= response.status_code < 500, body
        assert "error" in response.get_json()


def test_a_signed_in_staff_member_checks_in_with_the_pages_csrf_token(app, visit):
    import re

    booking, code, _gate = visit
    staff = factories.user("venue_staff", venue=booking.venue)
    app.config["WTF_CSRF_ENABLED"] = True
    client = app.test_client()
    client.post("/login", data={"email": staff.email, "password": factories.PASSWORD,
                                "csrf_token": _csrf(client, "/login")})
    page = client.get("/scan").get_data(as_text=True)
    token = re.search(r'data-csrf="([^"]+)"', page).group(1)
    assert client.post("/api/v1/checkins", json={"code": code}).status_code == 400
    response = client.post("/api/v1/checkins", json={"code": code}, headers={"X-CSRFToken": token})
    assert response.get_json()["result"] == "ok"


def _csrf(client, path: str) -> str:
    import re

    page = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)


def test_a_class_with_an_adult_in_a_pupils_place_is_admitted_within_its_booked_places(client):
    # Booked 35 students and 2 adults; 5 pupils ill, a parent volunteer came: 33 people of the 37 places.
    slot = factories.slot_at()
    booking = factories.confirmed_visit(slot, factories.user("teacher"), students=35, adults=2)
    body = _scan(client, factories.gate_token(slot.venue), tickets.code_for_booking(booking),
                 headcount={"students": 30, "adults": 3}).get_json()
    assert body["result"] == "ok" and body["headcount"] == {"persons": 33, "students": 30, "adults": 3}
    [admission] = _attempts(booking.id)
    assert (admission.students, admission.adults, admission.persons) == (30, 3, 33)


@pytest.mark.parametrize("students, adults, said, field", [
    # The statistics count students: never more than booked.
    (36, 0, "no more than 35 students can be admitted", "headcount.students"),
    # The students are within the booking: the adults are the ones too many.
    (30, 8, "no more than 37 people in all can be admitted", "headcount.adults"),
])
def test_a_class_above_its_booked_students_or_places_is_refused(client, students, adults, said, field):
    slot = factories.slot_at()
    booking = factories.confirmed_visit(slot, factories.user("teacher"), students=35, adults=2)
    response = client.post("/api/v1/checkins", json={"code": tickets.code_for_booking(booking),
                                                     "headcount": {"students": students, "adults": adults}},
                           headers={"Authorization": f"Bearer {factories.gate_token(slot.venue)}",
                                    "Accept-Language": "en"})
    body = response.get_json()
    assert (response.status_code, body["error"], body["field"]) == (422, "headcount_above_booking", field)
    assert said in body["message"]
    assert _attempts() == [] and _status(booking.id) == BookingStatus.CONFIRMED
