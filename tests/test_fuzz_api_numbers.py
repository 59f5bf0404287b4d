"""Numbers out of the database's range in API bodies are bad input (400), never a 500.

Found by the schemathesis run (tests/test_fuzz_api_schemathesis.py): ``slot_id`` is passed to
``db.session.get`` unchecked, so PostgreSQL refuses anything past 2**31 - 1 (``integer`` column)
and SQLite anything past 2**63 - 1, and the request ends in a 500.
"""
from __future__ import annotations

import pytest

from tests import factories

HUGE = [2**31, 2**63, 2**70]


@pytest.mark.parametrize("slot_id", HUGE)
def test_a_booking_for_a_slot_id_out_of_range_is_not_found(client, slot_id):
    token = factories.user_token(factories.user("citizen"))
    response = client.post("/api/v1/bookings", json={"slot_id": slot_id, "party_size": 1},
                           headers={"Authorization": f"Bearer {token}"})
    assert response.status_code in (400, 404)
    assert response.get_json()["error"] in ("not_found", "invalid_parameter")


@pytest.mark.parametrize("path", ["/api/v1/bookings/{n}", "/api/v1/venues/{n}", "/api/v1/venues/{n}/slots",
                                  "/api/v1/bookings/{n}/ticket.png"])
@pytest.mark.parametrize("n", HUGE)
def test_an_id_out_of_range_in_the_path_is_not_found(client, path, n):
    token = factories.user_token(factories.user("citizen"))
    assert client.get(path.format(n=n), headers={"Authorization": f"Bearer {token}"}).status_code == 404


@pytest.mark.parametrize("field", ["party_size", "children"])
def test_a_party_size_out_of_range_is_refused(client, field):
    slot = factories.slot(capacity=10)
    token = factories.user_token(factories.user("citizen"))
    body = {"slot_id": slot.id, "party_size": 1, field: 2**70}
    response = client.post("/api/v1/bookings", json=body, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 400
