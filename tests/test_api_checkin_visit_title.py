"""The check-in outcome names the visit, as a gate shows it: the slot's program, else the venue, in
the language of the request."""
from __future__ import annotations

import pytest

from app.checkin import tickets
from tests import factories


@pytest.fixture(autouse=True)
def _keys(app, tmp_path):
    app.config["TICKET_KEY_DIR"] = str(tmp_path / "ticket_keys")


def _scan(client, venue, booking, lang: str, **body):
    return client.post(f"/api/v1/checkins?lang={lang}", json={"code": tickets.code_for_booking(booking), **body},
                       headers={"Authorization": f"Bearer {factories.gate_token(venue)}"}).get_json()


def test_a_scan_names_the_slots_program_in_the_callers_language(client):
    venue = factories.venue(name_zh="南京科技馆", name_en="Nanjing Science Museum")
    program = factories.program(venue, title_zh="天文导览", title_en="Astronomy tour")
    booking = factories.confirmed_visit(factories.slot_at(venue, program_id=program.id))
    assert _scan(client, venue, booking, "en", preview=True)["visit_title"] == "Astronomy tour"
    outcome = _scan(client, venue, booking, "zh")
    assert (outcome["result"], outcome["visit_title"]) == ("ok", "天文导览")
    again = _scan(client, venue, booking, "en")
    assert (again["result"], again["visit_title"]) == ("already_checked_in", "Astronomy tour")


def test_without_a_program_the_visit_is_named_by_its_venue(client):
    venue = factories.venue(name_zh="南京科技馆", name_en="Nanjing Science Museum")
    booking = factories.confirmed_visit(factories.slot_at(venue))
    assert _scan(client, venue, booking, "en", nonce="n-1")["visit_title"] == "Nanjing Science Museum"
    assert _scan(client, venue, booking, "zh", nonce="n-1")["visit_title"] == "南京科技馆"  # the retry, replayed


def test_a_name_without_english_falls_back_to_chinese(client):
    venue = factories.venue(name_zh="社区科普馆", name_en="")
    booking = factories.confirmed_visit(factories.slot_at(venue))
    assert _scan(client, venue, booking, "en")["visit_title"] == "社区科普馆"


def test_another_venues_ticket_says_nothing_of_its_visit(client):
    booking = factories.confirmed_visit(factories.slot_at(factories.venue(name_zh="别处科技馆")))
    outcome = _scan(client, factories.venue(), booking, "zh")
    assert outcome["result"] == "wrong_venue" and "visit_title" not in outcome


def test_an_offline_batch_names_each_visit(client):
    venue = factories.venue(name_zh="南京科技馆", name_en="Nanjing Science Museum")
    booking = factories.confirmed_visit(factories.slot_at(venue))
    from app.core.time import to_local, utcnow
    response = client.post("/api/v1/checkins/batch?lang=en", json={"scans": [
        {"code": tickets.code_for_booking(booking), "nonce": "b-1", "scanned_at": to_local(utcnow()).isoformat()}]},
        headers={"Authorization": f"Bearer {factories.gate_token(venue)}"})
    assert response.get_json()["results"][0]["visit_title"] == "Nanjing Science Museum"


def test_the_openapi_document_describes_the_visit_title(client):
    schema = client.get("/api/v1/openapi.json").get_json()["components"]["schemas"]["CheckInOutcome"]
    assert "visit_title" in schema["properties"]
