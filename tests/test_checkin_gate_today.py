"""The gate's day: the latest scans are today's, newest first; a booking number typed with a Chinese
input method (full-width) is read like the ASCII one; the walk-in page says "already registered"
only when this phone had registered earlier today."""
from __future__ import annotations

import re
from datetime import datetime, time, timedelta

import pytest
import sqlalchemy as sa
import time_machine

from app.bookings.models import Booking, BookingStatus
from app.checkin import services as checkin_services
from app.checkin import walkins
from app.core.time import LOCAL_TZ, local_today, utcnow
from app.extensions import db
from tests import factories


@pytest.fixture(autouse=True)
def _key_dir(app, tmp_path):
    app.config["TICKET_KEY_DIR"] = str(tmp_path / "ticket_keys")


def full_width(text: str) -> str:
    """As a Chinese input method types it: full-width letters and digits, an ideographic space."""
    wide = "".join(chr(ord(c) + 0xFEE0) if c.isascii() and c.isalnum() else c for c in text)
    return wide[:4] + "\u3000" + wide[4:]


def _status(booking_id: int) -> BookingStatus:
    db.session.expire_all()
    return db.session.get(Booking, booking_id).status


# --- latest scans -----------------------------------------------------------------------------------

def test_latest_scans_are_todays_and_newest_first_by_scan_time(client, auth):
    staff = factories.user("venue_staff")
    now = utcnow()
    checkin_services.record_check_in(staff, "not a ticket", gate="昨日闸机", now=now - timedelta(days=1))
    checkin_services.record_check_in(staff, "not a ticket", gate="后扫闸机", now=now - timedelta(seconds=1))
    # Uploaded later by an offline gate, but scanned earlier.
    checkin_services.record_check_in(staff, "not a ticket", gate="先扫闸机", now=now - timedelta(seconds=2))
    db.session.commit()
    auth.login(staff.email)
    page = client.get("/scan").get_data(as_text=True)
    recent = page.split('id="recent-title"', 1)[1]
    gates = re.findall(r"(\w+闸机)</td>", recent)
    assert gates == ["后扫闸机", "先扫闸机"]


def test_a_scan_after_midnight_for_an_overnight_slot_is_among_the_latest(client, auth):
    # 00:30 in Nanjing: the night session began at 23:00 yesterday, so its visits carry yesterday's date.
    with time_machine.travel(datetime.combine(local_today(), time(0, 30), LOCAL_TZ), tick=True):
        slot = factories.slot_at(starts_in=-timedelta(minutes=90), length=timedelta(hours=3))
        assert slot.local_date == local_today() - timedelta(days=1)
        booking = factories.confirmed_visit(slot, party_size=2)
        auth.login(factories.user("venue_staff", venue=slot.venue).email)
        client.post("/scan", data={"code": booking.reference, "gate": "夜场闸机", "nonce": "n1"})
        page = client.get("/scan").get_data(as_text=True)
    assert _status(booking.id) == BookingStatus.CHECKED_IN
    assert re.findall(r"(\w+闸机)</td>", page.split('id="recent-title"', 1)[1]) == ["夜场闸机"]


# --- full-width booking numbers ----------------------------------------------------------------------

def test_a_full_width_booking_number_is_admitted_at_the_scanner_page(client, auth):
    slot = factories.slot_at()
    booking = factories.confirmed_visit(slot, party_size=2)
    auth.login(factories.user("venue_staff", venue=slot.venue).email)
    response = client.post("/scan", data={"code": full_width(booking.reference.lower()), "nonce": "fw1"})
    assert "tone-ok" in response.get_data(as_text=True)
    assert _status(booking.id) == BookingStatus.CHECKED_IN


def test_a_full_width_booking_number_is_admitted_through_the_api_in_the_same_statements(client):
    slot = factories.slot_at()
    ascii_booking, wide_booking = factories.confirmed_visit(slot), factories.confirmed_visit(slot)
    secret = factories.gate_token(slot.venue)
    headers = {"Authorization": f"Bearer {secret}"}
    client.post("/api/v1/checkins", json={"code": "warm-up", "nonce": "w"}, headers=headers)  # reads the token

    def scan(code: str, nonce: str):
        seen = []

        def record(conn, cursor, statement, parameters, context, executemany):
            seen.append(" ".join(statement.split()[:3]).lower())

        sa.event.listen(db.engine, "before_cursor_execute", record)
        try:
            answer = client.post("/api/v1/checkins", json={"code": code, "nonce": nonce}, headers=headers).get_json()
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", record)
        return answer, seen

    ascii_answer, ascii_statements = scan(ascii_booking.reference, "a1")
    wide_answer, wide_statements = scan(full_width(wide_booking.reference), "a2")
    assert ascii_answer["result"] == wide_answer["result"] == "ok"
    assert wide_statements == ascii_statements
    assert _status(wide_booking.id) == BookingStatus.CHECKED_IN


# --- walk-ins -----------------------------------------------------------------------------------------

def test_a_first_walk_in_is_not_told_it_registered_already(client):
    venue = factories.venue()
    url = f"/walk-in/{venue.id}/{walkins.daily_token(venue.id, local_today())}"
    client.get(url + "?lang=en")
    first = client.post(url, data={"persons": 2, "audience_group": "senior"}).get_data(as_text=True)
    assert "You are counted in" in first and "2 people" in first
    assert "already registered today" not in first
    again = client.get(url).get_data(as_text=True)
    assert "You are counted in" in again and "already registered today" in again
