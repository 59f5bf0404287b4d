"""Ticket codes and their keys: compact, signed, verifiable offline, rotated and revoked."""
from __future__ import annotations

import base64
import dataclasses
import os
import stat
from datetime import date, datetime, time, timedelta

import pytest
import qrcode
import time_machine
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy import select

from app.bookings.models import Booking, BookingStatus
from app.checkin import keys, services, tickets
from app.checkin.models import TicketKey
from app.core.time import LOCAL_TZ, local_today, to_local, utcnow
from app.extensions import db
from tests import factories


@pytest.fixture(autouse=True)
def _key_dir(app, tmp_path):
    app.config["TICKET_KEY_DIR"] = str(tmp_path / "ticket_keys")


def _scan(client, secret: str, code: str, **body):
    return client.post("/api/v1/checkins", json={"code": code, **body}, headers={"Authorization": f"Bearer {secret}"})


def test_the_largest_code_fits_a_version_6_qr_at_error_correction_m(app):
    kid, private_key = keys.signing_key()
    code = tickets.encode(tickets.Claims(kid=kid, reference="FFFFFFFFFFFFFFFF", venue_id=2**32 - 1,
                                         local_date=date(2099, 12, 31), seats=65535, version=65535), private_key)
    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M)
    qr.add_data(code)
    qr.make(fit=True)
    assert qr.version <= 6 and len(code) <= 154
    assert tickets.qr_code(code).version <= 6


def test_a_code_holds_the_booking_facts_and_nothing_personal(app):
    slot = factories.slot(days_ahead=3)
    citizen = factories.user("citizen", name="王秀英", phone="13812345678")
    booking = factories.booked_visit(slot, citizen, party_size=3)
    code = tickets.code_for_booking(booking)
    claims = tickets.verify(code)
    assert (claims.reference, claims.venue_id, claims.local_date, claims.seats, claims.version) == (
        booking.reference, slot.venue_id, slot.local_date, 3, booking.ticket_version)
    raw = base64.b32decode(code[2:] + "=" * (-len(code[2:]) % 8))
    assert b"13812345678" not in raw and "王秀英".encode() not in raw
    # Nobody is named in it: the booking's facts only (the raw bytes are binary, so an id is not looked
    # for in them: a one-digit id's byte turns up in random bytes by chance).
    assert [f.name for f in dataclasses.fields(claims)] == ["kid", "reference", "venue_id", "local_date", "seats",
                                                            "version"]
    assert len(raw) == tickets.CODE_BYTES


def test_published_keys_verify_a_code_offline(client, app):
    slot = factories.slot(days_ahead=3)
    booking = factories.booked_visit(slot, factories.user("citizen"))
    code = tickets.code_for_booking(booking)

    response = client.get("/api/v1/checkin-keys")
    assert response.status_code == 200 and "max-age" in response.headers["Cache-Control"]
    published = response.get_json()
    [key] = published["keys"]
    assert key["algorithm"] == "Ed25519" and key["status"] == "active" and key["revoked_at"] is None
    # What an offline gate does with the published key and layout, without the server:
    raw = base64.b32decode(code[2:] + "=" * (-len(code[2:]) % 8))
    assert raw[1:5].hex() == key["kid"]
    public = Ed25519PublicKey.from_public_bytes(base64.urlsafe_b64decode(key["public_key"] + "=="))
    public.verify(raw[23:], raw[:23])  # raises if the signature were wrong
    assert int.from_bytes(raw[13:17], "big") == slot.venue_id


def test_private_keys_stay_in_the_key_folder_readable_by_the_owner_only(app):
    kid, _ = keys.signing_key()
    path = keys.key_dir() / f"{kid}.pem"
    assert path.exists() and stat.S_IMODE(os.stat(path).st_mode) == 0o600
    row = db.session.get(TicketKey, kid)
    assert len(base64.urlsafe_b64decode(row.public_key + "==")) == 32  # only the public half


def test_keys_from_the_environment_are_used_and_no_file_is_written(app):
    seed = Ed25519PrivateKey.generate()
    app.config["TICKET_SIGNING_KEYS"] = keys.b64(seed.private_bytes_raw())
    kid, _ = keys.signing_key()
    assert kid == keys.kid_for(keys.public_raw(seed))
    assert not keys.key_dir().exists()


def test_rotation_signs_new_tickets_with_the_new_key_and_old_codes_stay_valid(client, app):
    slot = factories.slot_at()
    old_booking = factories.confirmed_visit(slot)
    old_code = tickets.code_for_booking(old_booking)
    old_kid = tickets.verify(old_code).kid

    runner = app.test_cli_runner()
    result = runner.invoke(args=["checkin", "rotate-key"])
    assert result.exit_code == 0, result.output

    new_booking = factories.confirmed_visit(slot)
    new_kid = tickets.verify(tickets.code_for_booking(new_booking)).kid
    assert new_kid != old_kid
    gate = factories.gate_token(slot.venue)
    assert _scan(client, gate, old_code).get_json()["result"] == "ok"
    listed = {k["kid"]: k for k in client.get("/api/v1/checkin-keys").get_json()["keys"]}
    assert listed[old_kid]["status"] == "retired" and listed[old_kid]["not_after"]
    assert listed[new_kid]["status"] == "active"


def test_a_retired_key_stays_valid_until_the_last_confirmed_slot_ends(app):
    slot = factories.slot(days_ahead=6)
    factories.booked_visit(slot, factories.user("citizen"))
    old = keys.signing_key()[0]
    keys.rotate()
    assert db.session.get(TicketKey, old).not_after == slot.ends_at


def test_a_revoked_key_refuses_its_codes_as_revoked_key(client, app):
    slot = factories.slot_at()
    booking = factories.confirmed_visit(slot)
    code = tickets.code_for_booking(booking)
    kid = tickets.verify(code).kid

    result = app.test_cli_runner().invoke(args=["checkin", "revoke-key", kid], env={"LC_ALL": "en_US.UTF-8"})
    assert result.exit_code == 0, result.output
    assert "within 5 seconds" in result.output  # other workers' key cache: said, not hidden

    gate = factories.gate_token(slot.venue)
    body = _scan(client, gate, code).get_json()
    assert body["result"] == "revoked_key"
    fresh_code = tickets.code_for_booking(booking)  # the booking page shows a code under a new key
    assert tickets.verify(fresh_code).kid != kid
    assert _scan(client, gate, fresh_code).get_json()["result"] == "ok"
    listed = {k["kid"]: k for k in client.get("/api/v1/checkin-keys").get_json()["keys"]}
    assert listed[kid]["status"] == "revoked" and listed[kid]["revoked_at"]


def test_revoking_an_unknown_key_fails_clearly(app):
    result = app.test_cli_runner().invoke(args=["checkin", "revoke-key", "deadbeef"], env={"LC_ALL": "en_US.UTF-8"})
    assert result.exit_code != 0 and "No ticket key" in result.output


def test_list_keys_shows_each_key_and_its_state(app):
    keys.signing_key()
    keys.rotate()
    output = app.test_cli_runner().invoke(args=["checkin", "list-keys"], env={"LC_ALL": "en_US.UTF-8"}).output
    assert "active" in output and "retired" in output


def test_a_code_under_a_key_unknown_here_is_invalid(app):
    slot = factories.slot_at()
    booking = factories.confirmed_visit(slot)
    stranger = Ed25519PrivateKey.generate()
    forged = tickets.encode(tickets.Claims(kid=keys.kid_for(keys.public_raw(stranger)), reference=booking.reference,
                                           venue_id=slot.venue_id, local_date=slot.local_date, seats=booking.seats,
                                           version=booking.ticket_version), stranger)
    staff = factories.user("venue_staff", venue=slot.venue)
    outcome = services.record_check_in(staff, forged)
    assert (outcome.result.value, outcome.reason) == ("invalid_code", "unknown_key")


def test_a_code_signed_by_another_key_under_a_known_kid_is_invalid(app):
    slot = factories.slot_at()
    booking = factories.confirmed_visit(slot)
    kid = tickets.verify(tickets.code_for_booking(booking)).kid
    forged = tickets.encode(tickets.Claims(kid=kid, reference=booking.reference, venue_id=slot.venue_id,
                                           local_date=slot.local_date, seats=booking.seats + 5,
                                           version=booking.ticket_version), Ed25519PrivateKey.generate())
    staff = factories.user("venue_staff", venue=slot.venue)
    outcome = services.record_check_in(staff, forged)
    assert (outcome.result.value, outcome.reason) == ("invalid_code", "bad_signature")


def test_a_new_key_made_on_another_machine_is_found_at_once(app):
    kid, _ = keys.signing_key()
    other = Ed25519PrivateKey.generate()
    db.session.add(TicketKey(kid=keys.kid_for(keys.public_raw(other)), public_key=keys.b64(keys.public_raw(other)),
                             created_at=db.session.get(TicketKey, kid).created_at + timedelta(seconds=1)))
    db.session.commit()
    code = tickets.encode(tickets.Claims(kid=keys.kid_for(keys.public_raw(other)), reference="0123456789ABCDEF",
                                         venue_id=1, local_date=date(2026, 1, 1), seats=1, version=1), other)
    assert tickets.verify(code).reference == "0123456789ABCDEF"
    assert db.session.scalar(select(TicketKey.kid).where(TicketKey.is_active.is_(True))) == kid


def test_the_decoder_reads_exactly_the_standard_base32_of_a_code(app):
    kid, private_key = keys.signing_key()
    for reference, venue_id, seats in (("0000000000000000", 0, 0), ("FFFFFFFFFFFFFFFF", 2**32 - 1, 65535),
                                       ("0123456789ABCDEF", 42, 3)):
        code = tickets.encode(tickets.Claims(kid=kid, reference=reference, venue_id=venue_id,
                                             local_date=date(2026, 5, 18), seats=seats, version=7), private_key)
        standard = base64.b32decode(code[2:] + "=" * (-len(code[2:]) % 8))
        assert tickets._decode(code[2:]) == standard
        assert (tickets.verify(code).reference, tickets.verify(code).venue_id) == (reference, venue_id)


@pytest.mark.parametrize("damage", ["drop_last", "add_char", "digit_outside_alphabet", "lower_case", "padding",
                                    "flip_signature_bit", "flip_body_bit", "format"])
def test_a_damaged_code_is_refused_as_invalid(app, damage):
    kid, private_key = keys.signing_key()
    code = tickets.encode(tickets.Claims(kid=kid, reference="0123456789ABCDEF", venue_id=42,
                                         local_date=date(2026, 5, 18), seats=3, version=7), private_key)
    raw = bytearray(base64.b32decode(code[2:] + "=" * (-len(code[2:]) % 8)))
    flipped = {"flip_signature_bit": 60, "flip_body_bit": 20, "format": 0}
    if damage in flipped:
        raw[flipped[damage]] ^= 0x02
        damaged = "SV" + base64.b32encode(bytes(raw)).decode().rstrip("=")
    else:
        damaged = {"drop_last": code[:-1], "add_char": code + "A", "digit_outside_alphabet": code[:50] + "8" + code[51:],
                   "lower_case": code[:2] + code[2:].lower(), "padding": code + "===="}[damage]
    with pytest.raises(tickets.CodeRefused) as refused:
        tickets.verify(damaged)
    assert refused.value.result == "invalid_code"
    assert refused.value.reason == ("bad_signature" if damage in ("flip_signature_bit", "flip_body_bit") else "malformed")


def test_a_code_with_its_last_characters_pad_bits_altered_is_refused_at_the_gate(client, app):
    """Base32's last character carries pad bits after the bytes; the 16 texts that differ only there
    used to verify as the same ticket (and one admitted it)."""
    slot = factories.slot_at()
    booking = factories.confirmed_visit(slot)
    code = tickets.code_for_booking(booking)
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
    last = alphabet.index(code[-1])
    pad_bits = tickets.CODE_CHARS * 5 - tickets.CODE_BYTES * 8
    assert pad_bits and last & ((1 << pad_bits) - 1) == 0  # the encoder writes zeros there
    altered = code[:-1] + alphabet[last | 1]

    gate = factories.gate_token(slot.venue)
    body = _scan(client, gate, altered).get_json()
    assert body["result"] == "invalid_code"
    assert db.session.get(type(booking), booking.id).status.value == "confirmed"
    assert _scan(client, gate, code).get_json()["result"] == "ok"


# --- keys judged when the code was scanned (offline gates upload later) -----------------------------

def _batch(client, secret: str, scans: list[dict]) -> list[dict]:
    response = client.post("/api/v1/checkins/batch", json={"scans": scans},
                           headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()["results"]


def _ago(minutes: int) -> str:
    return to_local(utcnow() - timedelta(minutes=minutes)).isoformat()


def test_an_offline_scan_made_before_its_key_was_revoked_counts_when_uploaded_after(client, app):
    slot = factories.slot_at(starts_in=-timedelta(minutes=40))
    before, after = factories.confirmed_visit(slot), factories.confirmed_visit(slot)
    before_code, after_code = tickets.code_for_booking(before), tickets.code_for_booking(after)
    gate = factories.gate_token(slot.venue)

    keys.revoke(tickets.verify(before_code).kid, now=utcnow() - timedelta(minutes=10))
    results = _batch(client, gate, [{"code": before_code, "nonce": "off-1", "scanned_at": _ago(15)},
                                    {"code": after_code, "nonce": "off-2", "scanned_at": _ago(5)}])

    assert [(r["result"], r.get("reason")) for r in results] == [("ok", None), ("revoked_key", "revoked")]
    db.session.expire_all()
    assert db.session.get(Booking, before.id).status == BookingStatus.CHECKED_IN
    assert db.session.get(Booking, after.id).status == BookingStatus.CONFIRMED
    # Scanned now, online, the revoked key's code is refused.
    assert _scan(client, gate, after_code).get_json()["result"] == "revoked_key"


def test_an_offline_scan_of_a_retired_keys_code_before_its_not_after_counts_when_uploaded_later(client, app):
    slot = factories.slot_at(starts_in=-timedelta(hours=3), length=timedelta(hours=2))  # ended an hour ago
    booking = factories.confirmed_visit(slot)
    code = tickets.code_for_booking(booking)
    gate = factories.gate_token(slot.venue)

    keys.rotate(now=utcnow() - timedelta(minutes=30))  # its codes stayed valid until half an hour ago
    assert utcnow() > db.session.get(TicketKey, tickets.verify(code, now=utcnow() - timedelta(hours=2)).kid).not_after
    [result] = _batch(client, gate, [{"code": code, "nonce": "off-r", "scanned_at": _ago(120)}])

    assert result["result"] == "ok" and result["admitted"] is True


def test_an_offline_scan_is_judged_by_the_visits_window_when_it_was_scanned(client, app):
    # At 15:00: run between 00:30 and 01:00 the late scan would fall on the day after the visit's.
    with time_machine.travel(datetime.combine(local_today(), time(15, 0), LOCAL_TZ), tick=False):
        slot = factories.slot_at(starts_in=-timedelta(hours=3), length=timedelta(hours=2))  # ended an hour ago
        during, early, late = (factories.confirmed_visit(slot) for _ in range(3))
        gate = factories.gate_token(slot.venue)

        results = _batch(client, gate, [
            {"code": tickets.code_for_booking(during), "nonce": "w-1", "scanned_at": _ago(120)},
            {"code": tickets.code_for_booking(early), "nonce": "w-2", "scanned_at": _ago(3 * 60 + 40)},
            {"code": tickets.code_for_booking(late), "nonce": "w-3", "scanned_at": _ago(30)},
        ])

    assert [r["result"] for r in results] == ["ok", "too_early", "too_late"]


def test_the_published_format_says_what_an_offline_gate_checks_and_what_waits_for_the_upload(client):
    published = client.get("/api/v1/checkin-keys").get_json()["format"]
    offline = published["offline"]
    for checked in ("signature", "not_after", "revoked_at", "venue", "date"):
        assert checked in offline
    assert "/api/v1/checkins/batch" in offline and "scanned_at" in offline
    assert "not_after" in published["valid"] and "retired" in published["valid"]
