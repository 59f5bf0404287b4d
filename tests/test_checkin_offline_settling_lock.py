"""An offline gate's upload takes the statistics' settling lock before any row of today's: one that took
it only on reaching a scan of a settled day, after locking today's rows, could deadlock with a refresh
or rebuild holding it and waiting for those rows (PostgreSQL would abort one of the two)."""
from __future__ import annotations

import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.checkin import tickets
from app.core.time import to_local, utcnow
from app.extensions import db
from app.stats.rollups import SETTLING_LOCK
from tests import factories


def test_an_upload_waits_for_a_refresh_holding_the_settling_lock_before_touching_todays_rows(app, client,
                                                                                                  is_postgres):
    if not is_postgres:  # SQLite's one writer at a time leaves no lock order to get wrong
        pytest.skip("the settling lock is PostgreSQL's (set TEST_DATABASE_URL)")
    slot = factories.slot_at(starts_in=-timedelta(minutes=10))
    gate = factories.gate_token(slot.venue)
    code = tickets.code_for_booking(factories.confirmed_visit(slot))
    scanned = to_local(utcnow() - timedelta(minutes=5)).isoformat()
    answers = []

    def upload():
        response = client.post("/api/v1/checkins/batch", headers={"Authorization": f"Bearer {gate}"},
                               json={"scans": [{"code": code, "nonce": "today-1", "scanned_at": scanned}]})
        answers.append(response.get_json()["results"][0]["result"])

    with db.engine.connect() as refresh:  # as `stats refresh` holds it, exclusive, until it commits
        refresh.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": SETTLING_LOCK})
        uploading = threading.Thread(target=upload)
        uploading.start()
        uploading.join(timeout=2)
        assert uploading.is_alive() and answers == []  # waiting for the lock, holding no row of today's
        refresh.commit()
    uploading.join(timeout=60)
    assert answers == ["ok"]
