"""The gate's pages without JavaScript, the manager's gate devices, and offline gates' batches."""
from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import quote, unquote

import pytest
from sqlalchemy import func, select

from app.bookings.models import Booking, BookingStatus
from app.checkin import tickets
from app.checkin.models import CheckIn
from app.core.time import local_today, to_local, utcnow
from app.extensions import db
from tests import factories


@pytest.fixture(autouse=True)
def _key_dir(app, tmp_path):
    app.config["TICKET_KEY_DIR"] = str(tmp_path / "ticket_keys")


def _status(booking_id: int) -> BookingStatus:
    db.session.expire_all()
    return db.session.get(Booking, booking_id).status


def _count() -> int:
    return db.session.scalar(select(func.count(CheckIn.id)))


# --- the scanner page ---------------------------------------------------------------------------

def test_staff_type_a_code_and_see_it_admitted(client, auth):
    slot = factories.slot_at()
    booking = factories.confirmed_visit(slot, party_size=2)
    auth.login(factories.user("venue_staff", venue=slot.venue).email)
    page = client.get("/scan")
    assert page.status_code == 200 and "vendor/jsqr/jsQR.js" in page.get_data(as_text=True)
    response = client.post("/scan", data={"code": tickets.code_for_booking(booking), "gate": "东门", "nonce": "p1"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "tone-ok" in html
    assert _status(booking.id) == BookingStatus.CHECKED_IN
    assert "sv_gate" in response.headers.get("Set-Cookie", "")


def test_a_refused_scan_shows_the_reason_in_red(client, auth):
    staff = factories.user("venue_staff")
    auth.login(staff.email)
    html = client.post("/scan", data={"code": "not a ticket", "nonce": "p2"}).get_data(as_text=True)
    assert "tone-bad" in html and _count() == 1


def test_a_refreshed_result_page_counts_the_scan_once(client, auth):
    slot = factories.slot_at()
    booking = factories.confirmed_visit(slot)
    auth.login(factories.user("venue_staff", venue=slot.venue).email)
    data = {"code": booking.reference, "nonce": "refresh-me"}
    client.post("/scan", data=data)
    again = client.post("/scan", data=data).get_data(as_text=True)
    assert "tone-ok" in again and _count() == 1


def test_a_ticket_scanned_again_says_where_it_was_first_scanned_also_without_a_gate(client, auth):
    slot = factories.slot_at()
    booking = factories.confirmed_visit(slot)
    auth.login(factories.user("venue_staff", venue=slot.venue).email)
    client.post("/scan", data={"code": booking.reference, "nonce": "first"})
    html = client.post("/scan?lang=en", data={"code": booking.reference, "nonce": "second"}).get_data(as_text=True)
    message = re.search(r"data-result-message>(.*?)</p>", html, re.S).group(1)
    assert "tone-warn" in html and slot.venue.name_en in message, message


def test_a_class_waits_for_its_headcount_then_is_admitted_with_it(client, auth):
    slot = factories.slot_at()
    booking = factories.confirmed_visit(slot, factories.user("teacher"), students=30, adults=2)
    auth.login(factories.user("venue_staff", venue=slot.venue).email)
    code = tickets.code_for_booking(booking)
    step = client.post("/scan", data={"code": code, "nonce": "g1"})
    assert 'action="/scan/group"' in step.get_data(as_text=True)
    assert _status(booking.id) == BookingStatus.CONFIRMED and _count() == 0

    too_many = client.post("/scan/group", data={"code": code, "nonce": "g1", "students": 31, "adults": 2})
    assert too_many.status_code == 400 and _count() == 0
    admitted = client.post("/scan/group", data={"code": code, "nonce": "g1", "students": 28, "adults": 2})
    assert "tone-ok" in admitted.get_data(as_text=True)
    row = db.session.scalar(select(CheckIn))
    assert (row.students, row.adults, row.persons) == (28, 2, 30)


def test_the_gate_admits_a_class_with_an_extra_adult_in_place_of_absent_pupils(client, auth):
    slot = factories.slot_at()
    booking = factories.confirmed_visit(slot, factories.user("teacher"), students=35, adults=2)
    auth.login(factories.user("venue_staff", venue=slot.venue).email)
    code = tickets.code_for_booking(booking)
    admitted = client.post("/scan/group", data={"code": code, "nonce": "g1", "students": 30, "adults": 3})
    assert "tone-ok" in admitted.get_data(as_text=True)
    row = db.session.scalar(select(CheckIn))
    assert (row.students, row.adults, row.persons) == (30, 3, 33)


def test_a_class_with_nobody_arrived_is_told_to_use_do_not_admit(client, auth):
    slot = factories.slot_at()
    booking = factories.confirmed_visit(slot, factories.user("teacher"), students=30, adults=2)
    auth.login(factories.user("venue_staff", venue=slot.venue).email)
    code = tickets.code_for_booking(booking)
    response = client.post("/scan/group?lang=en", data={"code": code, "nonce": "g0", "students": 0, "adults": 0})
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and _count() == 0
    assert "At least one student or adult must have arrived" in html and "Do not admit" in html
    assert "give the number of students" not in html


def test_the_scanner_shows_the_gate_its_script_remembered(client, auth):
    auth.login(factories.user("venue_staff").email)
    # static/js/scanner.js keeps the gate as encodeURIComponent writes it.
    client.set_cookie("sv_gate", quote("West gate 1 / 西门"))
    assert 'value="West gate 1 / 西门"' in client.get("/scan").get_data(as_text=True)


def test_a_gate_typed_without_javascript_is_kept_where_the_script_can_update_it(client, auth):
    slot = factories.slot_at()
    booking = factories.confirmed_visit(slot)
    auth.login(factories.user("venue_staff", venue=slot.venue).email)
    client.post("/scan", data={"code": booking.reference, "gate": "东门 2", "nonce": "k1"})
    cookie = client.get_cookie("sv_gate")
    assert unquote(cookie.value) == "东门 2" and not cookie.http_only and cookie.path == "/"
    assert 'value="东门 2"' in client.get("/scan").get_data(as_text=True)


def test_the_scanner_shows_todays_totals(client, auth):
    slot = factories.slot_at()
    first = factories.confirmed_visit(slot, party_size=2)
    factories.confirmed_visit(slot, party_size=3)
    auth.login(factories.user("venue_staff", venue=slot.venue).email)
    client.post("/scan", data={"code": first.reference, "nonce": "t1"})
    totals = client.get("/scan/totals").get_json()
    assert totals == {"booked": 5, "checked_in": 2, "expected": 3, "walk_ins": 0}


@pytest.mark.parametrize("role", ["citizen", "teacher", "district_admin", "city_admin"])
def test_only_venue_staff_and_managers_open_the_scanner(client, auth, role):
    auth.login(factories.user(role).email)
    assert client.get("/scan").status_code == 403
    assert client.post("/scan", data={"code": "x"}).status_code == 403


def test_a_manager_can_scan_too(client, auth):
    auth.login(factories.user("venue_manager").email)
    assert client.get("/scan").status_code == 200


# --- gate devices -------------------------------------------------------------------------------------

def test_a_manager_creates_a_gate_token_shown_once_and_it_checks_in(client, auth):
    slot = factories.slot_at()
    booking = factories.confirmed_visit(slot)
    manager = factories.user("venue_manager", venue=slot.venue)
    auth.login(manager.email)
    created = client.post("/manage/gates", data={"name": "北门闸机"})
    html = created.get_data(as_text=True)
    secret = html.split('class="secret-value">', 1)[1].split("<", 1)[0]
    assert created.status_code == 201 and created.headers["Cache-Control"] == "no-store"
    assert secret not in client.get("/manage/gates").get_data(as_text=True)

    auth.logout()
    response = client.post("/api/v1/checkins", json={"code": tickets.code_for_booking(booking)},
                           headers={"Authorization": f"Bearer {secret}"})
    assert response.get_json()["result"] == "ok"
    assert db.session.scalar(select(CheckIn.gate)) == "北门闸机"


def test_a_manager_revokes_a_gate_token(client, auth):
    from app.accounts.models import ApiToken

    venue = factories.venue()
    secret = factories.gate_token(venue)
    token_id = db.session.scalar(select(ApiToken.id))
    auth.login(factories.user("venue_manager", venue=venue).email)
    assert client.post(f"/manage/gates/{token_id}/revoke").status_code == 302
    response = client.post("/api/v1/checkins", json={"code": "x"}, headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 401


def test_gate_tokens_are_the_managers_own_venues_only(client, auth):
    from app.accounts.models import ApiToken

    factories.gate_token(factories.venue())
    token_id = db.session.scalar(select(ApiToken.id))
    auth.login(factories.user("venue_manager").email)
    assert client.post(f"/manage/gates/{token_id}/revoke").status_code == 404
    auth.logout()
    auth.login(factories.user("venue_staff").email)
    assert client.get("/manage/gates").status_code == 403


def test_a_device_needs_a_name(client, auth):
    auth.login(factories.user("venue_manager").email)
    response = client.post("/manage/gates", data={"name": ""})
    assert response.status_code == 400 and 'id="name-error"' in response.get_data(as_text=True)


def test_a_working_device_of_the_venue_keeps_its_name_to_itself(client, auth):
    """The gate list and each scan's record name the device: two working devices of one venue under
    one name (in any case, width or spacing) could not be told apart."""
    from app.accounts.models import ApiToken

    venue = factories.venue()
    factories.gate_token(venue, name="East Gate 2")
    factories.gate_token(factories.venue(), name="West gate")
    auth.login(factories.user("venue_manager", venue=venue).email)

    refused = client.post("/manage/gates?lang=en", data={"name": "  east   ＧＡＴＥ 2 "})
    error = re.search(r'id="name-error">([^<]*)<', refused.get_data(as_text=True))
    assert refused.status_code == 400 and error
    assert "A device of this venue that can check tickets in is already called East Gate 2." in error.group(1)
    assert 'value="  east   ＧＡＴＥ 2 "' in refused.get_data(as_text=True)  # kept as typed
    assert db.session.scalar(select(func.count(ApiToken.id)).where(ApiToken.venue_id == venue.id)) == 1
    assert client.post("/manage/gates", data={"name": "West gate"}).status_code == 201  # another venue's

    first = db.session.scalar(select(ApiToken.id).where(ApiToken.name == "East Gate 2"))
    assert client.post(f"/manage/gates/{first}/revoke").status_code == 302
    assert client.post("/manage/gates", data={"name": "east gate 2"}).status_code == 201  # the name is free


# --- offline batches ------------------------------------------------------------------------------------

def _batch(client, secret, scans):
    return client.post("/api/v1/checkins/batch", json={"scans": scans}, headers={"Authorization": f"Bearer {secret}"})


def test_an_offline_batch_admits_the_first_scan_of_a_ticket_and_reports_later_ones(client):
    slot = factories.slot_at(starts_in=-timedelta(minutes=40))
    booking = factories.confirmed_visit(slot)
    other = factories.confirmed_visit(slot)
    gate = factories.gate_token(slot.venue)
    code, now = tickets.code_for_booking(booking), utcnow()

    def at(minutes_ago):
        return to_local(now - timedelta(minutes=minutes_ago)).isoformat()

    scans = [{"code": code, "nonce": "b2", "scanned_at": at(5)},
             {"code": code, "nonce": "b1", "scanned_at": at(20), "gate": "南门"},
             {"code": tickets.code_for_booking(other), "nonce": "b3", "scanned_at": at(1)},
             {"code": code, "nonce": "b4"}]
    results = _batch(client, gate, scans).get_json()["results"]
    assert [r.get("result") for r in results] == ["already_checked_in", "ok", "ok", None]
    assert results[0]["previous"]["gate"] == "南门" and results[3]["error"] == "invalid_parameter"
    admission = db.session.scalar(select(CheckIn).where(CheckIn.booking_id == booking.id, CheckIn.result == "ok"))
    assert to_local(admission.scanned_at).isoformat() == at(20)

    again = _batch(client, gate, scans).get_json()["results"]
    assert [r.get("result") for r in again] == ["already_checked_in", "ok", "ok", None]
    assert all(r["replayed"] for r in again[:3]) and _count() == 3


def test_one_malformed_scan_does_not_hold_back_the_rest_of_a_batch(client):
    slot = factories.slot_at(starts_in=-timedelta(minutes=10))
    booking = factories.confirmed_visit(slot)
    gate = factories.gate_token(slot.venue)
    now = to_local(utcnow()).isoformat()
    scans = [{"code": tickets.code_for_booking(booking), "nonce": "ok-1", "scanned_at": now},
             {"code": "junk", "nonce": "bad\x00", "scanned_at": now},
             {"code": "junk\x00", "nonce": "bad-2", "scanned_at": now, "gate": "\x00"}]
    response = _batch(client, gate, scans)
    results = response.get_json()["results"]
    assert response.status_code == 200 and results[0]["result"] == "ok"
    assert [(r["error"], r["field"]) for r in results[1:]] == [("invalid_parameter", "nonce"),
                                                                ("invalid_parameter", "code")]
    assert _status(booking.id) == BookingStatus.CHECKED_IN


def test_the_scanner_page_sent_back_with_another_ticket_scans_it_anew(client, auth):
    slot = factories.slot_at()
    first, second = factories.confirmed_visit(slot), factories.confirmed_visit(slot)
    auth.login(factories.user("venue_staff", venue=slot.venue).email)
    client.post("/scan", data={"code": first.reference, "nonce": "page-1"})
    # The browser's Back button: the old page, its nonce, and the next ticket.
    page = client.post("/scan", data={"code": second.reference, "nonce": "page-1"})
    assert page.status_code == 200
    assert _status(first.id) == _status(second.id) == BookingStatus.CHECKED_IN


def test_a_batch_scan_from_the_future_or_long_ago_is_refused(client):
    gate = factories.gate_token(factories.venue())
    results = _batch(client, gate, [
        {"code": "x", "nonce": "f", "scanned_at": to_local(utcnow() + timedelta(hours=2)).isoformat()},
        {"code": "x", "nonce": "o", "scanned_at": "2020-01-01T09:00:00"},
        {"code": "x", "nonce": "z", "scanned_at": "yesterday"},
        {"code": "x", "nonce": "d", "scanned_at": local_today().isoformat()},  # a day, not a moment
    ]).get_json()["results"]
    assert [r["error"] for r in results] == ["invalid_parameter"] * 4 and _count() == 0


def test_a_batch_must_be_a_list_of_scans(client):
    gate = factories.gate_token(factories.venue())
    assert _batch(client, gate, []).status_code == 400
    assert _batch(client, gate, "nope").status_code == 400
    assert _batch(client, gate, [{"code": "x", "nonce": "n", "scanned_at": "x"}] * 501).status_code == 400
