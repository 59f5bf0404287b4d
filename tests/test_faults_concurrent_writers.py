"""Many writers at once (SQLite's one-writer lock; PostgreSQL's row locks): bookings and check-ins
from many threads through HTTP, each its own request and connection. Nobody sees a 500 such as
``database is locked``: every request is done or refused by a rule, and the counts are exact."""
from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import func, select

from app.bookings.models import Booking, BookingStatus
from app.checkin.models import CheckIn
from app.extensions import db
from app.scheduling.models import Slot
from tests import factories

BOOKERS, CAPACITY, TICKETS, GATES = 40, 25, 15, 3
# Threads at once: below the connection pool (5 + 10 overflow), as a worker's threads would be.
THREADS = 12


def test_concurrent_bookings_and_check_ins_are_never_lost_to_a_locked_database(app):
    future = factories.slot(capacity=CAPACITY)
    booker_tokens = [factories.user_token(factories.user("citizen")) for _ in range(BOOKERS)]
    today = factories.slot_at(capacity=100)
    tickets = [factories.confirmed_visit(today, party_size=2).reference for _ in range(TICKETS)]
    gate_tokens = [factories.gate_token(today.venue, name=f"gate {i}") for i in range(GATES)]
    future_id, today_id = future.id, today.id

    jobs = [("POST", "/api/v1/bookings", token, {"slot_id": future_id, "party_size": 1})
            for token in booker_tokens]
    jobs += [("POST", "/api/v1/checkins", gate_tokens[g], {"code": ref, "nonce": f"{g}-{ref}"})
             for ref in tickets for g in range(GATES)]
    start = threading.Barrier(THREADS)

    def call(job):
        method, path, token, body = job
        client = app.test_client()
        try:
            start.wait(timeout=2)  # the first wave starts together; the rest follow at once
        except threading.BrokenBarrierError:
            pass
        response = client.open(path, method=method, json=body, headers={"Authorization": f"Bearer {token}"})
        return path, response.status_code, response.get_json(silent=True) or {}

    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        results = list(pool.map(call, jobs, timeout=120))

    assert not [r for r in results if r[1] >= 500], [r for r in results if r[1] >= 500][:5]
    bookings = [(status, body) for path, status, body in results if path.endswith("bookings")]
    assert [s for s, _ in bookings].count(201) == CAPACITY
    assert {body.get("error") for s, body in bookings if s != 201} == {"slot_full"}
    checkins = [body.get("result") for path, status, body in results if path.endswith("checkins")]
    assert checkins.count("ok") == TICKETS
    assert set(checkins) == {"ok", "already_checked_in"}

    db.session.expire_all()
    assert db.session.get(Slot, future_id).taken == CAPACITY
    assert db.session.scalar(select(func.coalesce(func.sum(Booking.seats), 0)).where(
        Booking.slot_id == future_id, Booking.status == BookingStatus.CONFIRMED)) == CAPACITY
    assert db.session.scalar(select(func.count(Booking.id)).where(
        Booking.slot_id == today_id, Booking.status == BookingStatus.CHECKED_IN)) == TICKETS
    assert db.session.scalar(select(func.coalesce(func.sum(CheckIn.persons), 0))
                             .where(CheckIn.result == "ok")) == 2 * TICKETS
