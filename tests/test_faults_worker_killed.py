"""A gunicorn worker killed (SIGKILL) in the middle of a booking storm: the requests it held fail,
but nothing is half-written (the confirmed seats are exactly the slot's count), the master starts a
new worker, and the service answers ``/healthz`` again."""
from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from app.bookings.models import Booking, BookingStatus
from app.extensions import db
from app.scheduling.models import Slot
from tests import factories
from tests.test_deploy_multi_instance import GUNICORN, ROOT, _free_port, _request, _stop, _wait_until_healthy

pytestmark = pytest.mark.postgres_only
CAPACITY, CITIZENS = 30, 80


def _workers(master: int) -> list[int]:
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(master)], capture_output=True, text=True).stdout
    return [int(pid) for pid in out.split()]


@pytest.fixture
def server(database_url, _migrated, tmp_path):
    if not database_url.startswith("postgresql"):
        pytest.skip("gunicorn workers sharing one database need PostgreSQL (set TEST_DATABASE_URL)")
    port = _free_port()
    log = tmp_path / "gunicorn.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RATELIMIT_", "TEST_", "REDIS_"))}
    env.update(SCIVISIT_CONFIG="production", SECRET_KEY="worker-kill-test-secret", DATABASE_URL=database_url,
               PUBLIC_BASE_URL="https://scivisit.example",
               WEB_CONCURRENCY="2", LOG_LEVEL="WARNING", GUNICORN_GRACEFUL_TIMEOUT="5", RATELIMIT_ENABLED="false",
               TICKET_KEY_DIR=str(tmp_path / "ticket_keys"), PORT=str(port))
    with log.open("wb") as out:
        process = subprocess.Popen([str(GUNICORN), "-c", "gunicorn.conf.py", "wsgi:app"], cwd=ROOT, env=env,
                                   stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        _wait_until_healthy(process, port, log)
        yield process, port
    finally:
        _stop(process)


def test_a_worker_killed_mid_storm_loses_nothing_and_is_replaced(app, server):
    process, port = server
    slot = factories.slot(capacity=CAPACITY)
    tokens = [factories.user_token(factories.user("citizen")) for _ in range(CITIZENS)]
    slot_id = slot.id
    workers = _workers(process.pid)
    assert len(workers) == 2, workers
    start = threading.Barrier(CITIZENS + 1)

    def book(token: str):
        start.wait(timeout=30)
        try:
            return _request(port, "POST", "/api/v1/bookings", {"slot_id": slot_id, "party_size": 1},
                            {"Authorization": f"Bearer {token}"}, timeout=30)
        except OSError as error:  # the killed worker's connections are cut
            return None, {"error": type(error).__name__}

    with ThreadPoolExecutor(max_workers=CITIZENS) as pool:
        futures = [pool.submit(book, token) for token in tokens]
        start.wait(timeout=30)
        time.sleep(0.05)  # the storm is under way
        os.kill(workers[0], signal.SIGKILL)
        results = [f.result(timeout=90) for f in futures]

    confirmed = sum(1 for status, _ in results if status == 201)
    assert confirmed <= CAPACITY
    assert not [r for r in results if r[0] is not None and r[0] >= 500 and r[0] != 502], results
    db.session.expire_all()
    taken = db.session.get(Slot, slot_id).taken
    seats = db.session.scalar(select(func.coalesce(func.sum(Booking.seats), 0)).where(
        Booking.slot_id == slot_id, Booking.status == BookingStatus.CONFIRMED))
    # Nothing half-written: a booking row exists exactly for each place counted.
    assert taken == seats
    assert db.session.scalar(select(func.count(Booking.id)).where(Booking.slot_id == slot_id)) == seats
    # Every 201 the clients saw is a booking that exists (a cut request may or may not have committed).
    assert confirmed <= seats

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and (len(_workers(process.pid)) < 2 or workers[0] in _workers(process.pid)):
        time.sleep(0.2)
    assert len(_workers(process.pid)) == 2 and workers[0] not in _workers(process.pid)
    assert _request(port, "GET", "/healthz", timeout=5)[0] == 200
