"""An offline gate's clock as its vendor meets it: a scan dated after the server's now is refused
saying the device's clock is ahead (not "within the last 7 days"), and one a few seconds ahead counts."""
from __future__ import annotations

import re
from datetime import timedelta

from app.checkin import tickets
from app.core.time import to_local, utcnow
from tests import factories


def _batch(client, secret: str, scans: list[dict], **headers) -> list[dict]:
    response = client.post("/api/v1/checkins/batch", json={"scans": scans},
                           headers={"Authorization": f"Bearer {secret}", **headers})
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()["results"]


def test_a_scan_dated_ahead_of_the_servers_clock_is_refused_naming_the_devices_clock(client):
    slot = factories.slot_at(starts_in=-timedelta(minutes=10))
    gate = factories.gate_token(slot.venue)
    code = tickets.code_for_booking(factories.confirmed_visit(slot))
    ahead = to_local(utcnow() + timedelta(hours=1)).isoformat()
    [result] = _batch(client, gate, [{"code": code, "nonce": "ahead-1", "scanned_at": ahead}],
                      **{"Accept-Language": "en"})
    assert (result["error"], result["field"]) == ("invalid_parameter", "scanned_at")
    assert "clock" in result["message"] and "7 days" not in result["message"]
    assert re.search(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}", result["message"])  # the server's time, to set the device by


def test_a_scan_older_than_a_week_is_refused_as_too_old(client):
    slot = factories.slot_at(starts_in=-timedelta(minutes=10))
    gate = factories.gate_token(slot.venue)
    code = tickets.code_for_booking(factories.confirmed_visit(slot))
    old = to_local(utcnow() - timedelta(days=8)).isoformat()
    [result] = _batch(client, gate, [{"code": code, "nonce": "old-1", "scanned_at": old}],
                      **{"Accept-Language": "en"})
    assert result["field"] == "scanned_at" and "7 days" in result["message"]


def test_a_device_clock_a_little_ahead_still_counts(client):
    slot = factories.slot_at(starts_in=-timedelta(minutes=10))
    gate = factories.gate_token(slot.venue)
    code = tickets.code_for_booking(factories.confirmed_visit(slot))
    slightly_ahead = to_local(utcnow() + timedelta(minutes=2)).isoformat()
    [result] = _batch(client, gate, [{"code": code, "nonce": "skew-1", "scanned_at": slightly_ahead}])
    assert result["result"] == "ok"


def test_a_blank_nonce_is_said_to_be_required_and_a_long_one_too_long(client):
    slot = factories.slot_at(starts_in=-timedelta(minutes=10))
    gate = factories.gate_token(slot.venue)
    code = tickets.code_for_booking(factories.confirmed_visit(slot))
    now = to_local(utcnow()).isoformat()
    scans = [{"code": code, "nonce": nonce, "scanned_at": now} for nonce in ("", "   ", "n" * 65)]
    results = _batch(client, gate, scans + [{"code": code, "scanned_at": now}], **{"Accept-Language": "en"})
    assert [(r["error"], r["field"]) for r in results] == [("invalid_parameter", "nonce")] * 4
    assert [r["message"] for r in results] == ["nonce is required."] * 2 + [
        "nonce must be text of at most 64 characters.", "nonce is required."]


def test_a_venue_that_is_not_a_venues_number_is_said_so(client):
    response = client.get("/api/v1/stats/summary?venue=-1", headers={"Accept-Language": "en"})
    assert (response.status_code, response.get_json()["field"]) == (400, "venue")
    assert response.get_json()["message"] == "The venue is given by its number: a whole number from 1."
