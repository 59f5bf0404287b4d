"""Publishing a slot that is already published (same start, end and audience) over the API: 409,
naming the slot it repeats, so the venue's scheduling system can link to it instead."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from app.core.time import local_today
from app.extensions import db
from app.scheduling.models import Slot
from tests import factories


def _publish(client, headers, venue_id: int, **overrides):
    day = local_today() + timedelta(days=5)
    body = {"start": f"{day}T18:30", "end": f"{day}T20:30", "capacity": 60, "audience": "mixed", **overrides}
    return client.post(f"/api/v1/venues/{venue_id}/slots", json=body, headers=headers)


def test_a_duplicate_slot_is_a_conflict_naming_the_slot_it_repeats(client):
    manager = factories.user("venue_manager")
    headers = {"Authorization": f"Bearer {factories.user_token(manager)}"}
    first = _publish(client, headers, manager.venue_id)
    assert first.status_code == 201
    again = _publish(client, {**headers, "Accept-Language": "en"}, manager.venue_id, capacity=30)
    assert again.status_code == 409
    body = again.get_json()
    assert (body["error"], body["reason"], body["field"], body["existing_slot_id"]) == (
        "invalid_slot", "duplicate_slot", "start", first.get_json()["id"])
    assert body["message"] == "This time is already published for this audience."
    assert db.session.scalar(select(func.count(Slot.id))) == 1


def test_the_same_time_for_another_audience_is_not_a_duplicate(client):
    manager = factories.user("venue_manager")
    headers = {"Authorization": f"Bearer {factories.user_token(manager)}"}
    assert _publish(client, headers, manager.venue_id).status_code == 201
    assert _publish(client, headers, manager.venue_id, audience="school").status_code == 201


def test_the_openapi_document_describes_the_conflict(client):
    post = client.get("/api/v1/openapi.json").get_json()["paths"]["/api/v1/venues/{venue_id}/slots"]["post"]
    assert "existing_slot_id" in post["responses"]["409"]["description"]
